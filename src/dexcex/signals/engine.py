"""From the analytics' readings at a trigger to one ``Signal``, filters applied.

Per asset and direction, one signal per ``cooldown_s`` (after a filtered one, a new look
after ``recheck_s``, in case the anomaly firms up): the same anomaly keeps the
trigger on for many events, and a second source seeing it (Birdeye's swaps and
DexScreener's flow for one Solana pool) must not make a second signal: it is dropped and
noted against the signal that covers it (``covering``). Filters keep the signal, with
``status = filtered`` and the reason, so the dataset learns from what was not traded too:

- confidence below ``min_confidence``;
- expected move not above the estimated round-trip cost;
- stale data: no DEX event for ``stale_dex_s``, or a CEX book older than
  ``stale_cex_s`` (or none).

A short on a spot-only venue is kept and marked not executable.
"""

from __future__ import annotations

import hashlib

from dexcex.analytics.liquidity import LiquidityReading
from dexcex.analytics.orderflow import OrderFlowReading
from dexcex.analytics.volume_price import VolumePriceReading
from dexcex.config.core_settings import SignalSettings
from dexcex.domain import (
    CexContext,
    Chain,
    DexContext,
    Direction,
    FilterReason,
    OrderBook,
    Signal,
    SignalStatus,
    VenueId,
)
from dexcex.risk.regime import RegimeState
from dexcex.risk.slippage import walk_book
from dexcex.signals.scoring import Scores, confidence, expected_move_bps

__all__ = ["SignalEngine", "signal_id"]

F = FilterReason

_MIN_COST_BPS = 1.0


def _or(x: float | None, missing: float = -1.0) -> float:
    """Features are plain floats: an unknown value becomes ``missing``."""
    return float(x) if x is not None else missing


def signal_id(asset_id: str, ts: int, direction: Direction) -> str:
    """Deterministic: the same input always gives the same ids (replay, evaluation)."""
    h = hashlib.blake2b(f"{asset_id}|{ts}|{direction.value}".encode(), digest_size=4).hexdigest()
    return f"sig_{ts}_{h}"


class SignalEngine:
    def __init__(self, p: SignalSettings, taker_fee_bps: float) -> None:
        self.p = p
        self.taker_fee_bps = taker_fee_bps
        self._quiet_until: dict[tuple[str, int], int] = {}
        # (asset, direction) → (id of the last signal, every source that saw its anomaly)
        self._covering: dict[tuple[str, int], tuple[str, set[str]]] = {}
        self.suppressed = 0

    def cooling(self, asset_id: str, direction: int, ts: int, source: str) -> bool:
        """True while a signal of this asset and direction is in its cooldown; notes the
        source that saw the anomaly again."""
        key = (asset_id, direction)
        until = self._quiet_until.get(key)
        if until is not None and ts < until:
            self.suppressed += 1
            covering = self._covering.get(key)
            if covering is not None:
                covering[1].add(source)
            return True
        return False

    def covering(self, asset_id: str, direction: int) -> tuple[str, list[str]] | None:
        """The last signal of this asset and direction and every source that has seen its
        anomaly since (a second source inside the cooldown adds itself here)."""
        c = self._covering.get((asset_id, direction))
        return (c[0], sorted(c[1])) if c else None

    def build(
        self,
        *,
        asset_id: str,
        venue: VenueId,
        symbol: str,
        spot_only: bool,
        ts: int,
        source: str,
        chain: Chain,
        flow: OrderFlowReading,
        trigger_event_ts: int,
        trigger_recv_ts: int,
        pool: str | None,
        dex_price: float | None,
        liquidity: LiquidityReading | None,
        vp: VolumePriceReading,
        large_threshold_usd: float,
        book: OrderBook | None,
        regime: RegimeState,
        last_dex_ts: int,
        notional_usd: float,
    ) -> Signal:
        p = self.p
        d = flow.direction
        direction = Direction.LONG if d > 0 else Direction.SHORT
        key = (asset_id, d)
        liq_bps_s = 0.0
        if liquidity is not None and liquidity.liquidity_usd > 0:
            liq_bps_s = liquidity.velocity_usd_s / liquidity.liquidity_usd * 1e4
        lead = vp.lead
        lead_q = 5.0 * lead.best_corr if lead and lead.significant and lead.best_lag_s > 0 else 0.0
        scores = Scores.aligned(
            d,
            flow.imbalance_z,
            liq_bps_s,
            bool(liquidity and liquidity.drain),
            vp.accumulation,
            vp.smart_money,
            flow.buy_concentration if d > 0 else flow.sell_concentration,
            lead_q,
        )
        conf = confidence(scores, p.weights)
        sigma = regime.sigma_bps(p.horizon_s)
        move = expected_move_bps(conf, sigma, p.move_multiplier)
        trig = flow.window(flow.trigger_span_s)
        cex = None
        cost = 2 * self.taker_fee_bps
        if book is not None and book.mid is not None:
            bid_d, ask_d = book.depth_quote(100)
            assert book.best_bid is not None and book.best_ask is not None
            cex = CexContext(
                book.best_bid,
                book.best_ask,
                book.mid,
                book.spread_bps or 0.0,
                bid_d,
                ask_d,
                book.ts_event,
            )
            walk = walk_book(book, direction.entry_side, notional_usd / book.mid)
            # entry slippage (half the spread included) plus the exit's half spread
            cost += (walk.slippage_bps if walk else 0.0) + (book.spread_bps or 0.0) / 2
        cost = max(cost, _MIN_COST_BPS)
        status, code, reason = SignalStatus.NEW, None, None
        executable = True
        if direction is Direction.SHORT and spot_only:
            executable, code, reason = False, F.SHORT_ON_SPOT, "short on a spot-only venue"
        stale = self._stale_reason(ts, last_dex_ts, book)
        if stale:
            status, (code, reason) = SignalStatus.FILTERED, stale
        elif conf < p.min_confidence:
            status, code = SignalStatus.FILTERED, F.LOW_CONFIDENCE
            reason = f"confidence {conf:.2f} < {p.min_confidence:g}"
        elif move <= cost:
            status, code = SignalStatus.FILTERED, F.MOVE_BELOW_COST
            reason = f"expected move {move:.1f} bps <= cost {cost:.1f}"
        # A passed signal silences the asset and direction for the cooldown; a filtered
        # one only for ``recheck_s``, so an anomaly that firms up is looked at again.
        quiet = p.cooldown_s if status is SignalStatus.NEW else p.recheck_s
        self._quiet_until[key] = ts + int(quiet * 1000)
        features = {
            **{f"w{w.span_s}_imbalance": w.imbalance for w in flow.windows},
            **{f"w{w.span_s}_buy_usd": w.buy_usd for w in flow.windows},
            **{f"w{w.span_s}_sell_usd": w.sell_usd for w in flow.windows},
            **{f"w{w.span_s}_trades": float(w.buys + w.sells) for w in flow.windows},
            **{f"w{w.span_s}_large_share": w.large_share for w in flow.windows},
            "imbalance_z": flow.imbalance_z,
            "intensity": flow.intensity,
            "distinct_buyers": _or(flow.distinct_buyers),
            "buy_concentration": _or(flow.buy_concentration),
            "sell_concentration": _or(flow.sell_concentration),
            "baseline_usd_per_s": flow.baseline_usd_per_s,
            "large_trade_usd": large_threshold_usd if large_threshold_usd < 1e300 else -1.0,
            "surge": vp.surge,
            "price_change_bps": vp.price_change_bps,
            "expected_impact_bps": vp.expected_impact_bps,
            "absorption": vp.absorption,
            "accumulation": vp.accumulation,
            "smart_money": _or(vp.smart_money, 0.0),
            "lead_lag_s": float(lead.best_lag_s) if lead else 0.0,
            "lead_corr": lead.best_corr if lead else 0.0,
            "liq_velocity_bps_s": liq_bps_s,
            "liq_drawdown_pct": liquidity.drawdown_pct if liquidity else 0.0,
            "vol_bps_sqrt_s": regime.vol_bps_sqrt_s,
            "trend_bps_min": regime.trend_bps_min,
            "market_trend_bps_min": regime.market_trend_bps_min,
            "sigma_horizon_bps": sigma,
            "cost_bps": cost,
            **{f"score_{k}": v for k, v in scores.as_dict().items()},
        }
        sid = signal_id(asset_id, ts, direction)
        self._covering[key] = (sid, {source})
        return Signal(
            id=sid,
            ts=ts,
            asset_id=asset_id,
            venue=venue,
            symbol=symbol,
            direction=direction,
            confidence=conf,
            expected_move_bps=move,
            priority=conf * move / cost,
            status=status,
            executable=executable,
            trigger_ts_event=trigger_event_ts,
            trigger_ts_recv=trigger_recv_ts,
            dex=DexContext(
                chain=chain,
                pool=pool,
                dex_price_usd=dex_price,
                imbalance=trig.imbalance,
                buy_volume_usd=trig.buy_usd,
                sell_volume_usd=trig.sell_usd,
                window_s=trig.span_s,
                liquidity_velocity=liquidity.velocity_usd_s if liquidity else 0.0,
                liquidity_acceleration=liquidity.acceleration_usd_s2 if liquidity else 0.0,
                volume_price_score=scores.volume_price,
                scores={
                    "orderflow": scores.orderflow,
                    "liquidity": scores.liquidity,
                    "volume_price": scores.volume_price,
                    "smart_money": scores.smart_money,
                    "concentration": scores.concentration,
                    "lead": scores.lead,
                },
            ),
            cex=cex,
            status_reason=reason,
            expires_ts=ts + int(p.expiry_s * 1000),
            features={k: float(v) for k, v in features.items()},
            status_code=code,
        )

    def _stale_reason(
        self, ts: int, last_dex_ts: int, book: OrderBook | None
    ) -> tuple[FilterReason, str] | None:
        p = self.p
        if ts - last_dex_ts > p.stale_dex_s * 1000:
            return F.STALE_DEX, f"stale DEX data ({(ts - last_dex_ts) / 1000:.0f} s)"
        if book is None:
            return F.NO_BOOK, "no CEX book"
        age = ts - book.ts_event
        if age > p.stale_cex_s * 1000:
            return F.STALE_BOOK, f"stale CEX book ({age / 1000:.0f} s)"
        return None
