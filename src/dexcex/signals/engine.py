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
from dataclasses import dataclass

from dexcex.analytics.liquidity import LiquidityReading
from dexcex.analytics.orderflow import OrderFlowReading, WindowFlow
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

__all__ = ["SignalEngine", "Trigger", "signal_id"]

F = FilterReason

_MIN_COST_BPS = 1.0


def _or(x: float | None, missing: float = -1.0) -> float:
    """Features are plain floats: an unknown value becomes ``missing``."""
    return float(x) if x is not None else missing


def signal_id(asset_id: str, ts: int, direction: Direction) -> str:
    """Deterministic: the same input always gives the same ids (replay, evaluation)."""
    h = hashlib.blake2b(f"{asset_id}|{ts}|{direction.value}".encode(), digest_size=4).hexdigest()
    return f"sig_{ts}_{h}"


@dataclass(frozen=True, slots=True)
class Trigger:
    """Everything the core knows when an asset's order flow triggers: where it would trade,
    the DEX readings, the CEX book and regime, and when it happened."""

    asset_id: str
    venue: VenueId
    symbol: str
    spot_only: bool
    ts: int
    source: str
    chain: Chain
    flow: OrderFlowReading
    trigger_event_ts: int
    trigger_recv_ts: int
    pool: str | None
    dex_price: float | None
    liquidity: LiquidityReading | None
    vp: VolumePriceReading
    large_threshold_usd: float
    book: OrderBook | None
    regime: RegimeState
    last_dex_ts: int
    notional_usd: float


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

    def build(self, t: Trigger) -> Signal:
        """The scored, filtered signal of one trigger."""
        p = self.p
        d = t.flow.direction
        direction = Direction.LONG if d > 0 else Direction.SHORT
        key = (t.asset_id, d)
        scores, liq_bps_s = _scores(t.flow, t.liquidity, t.vp)
        conf = confidence(scores, p.weights)
        sigma = t.regime.sigma_bps(p.horizon_s)
        move = expected_move_bps(conf, sigma, p.move_multiplier)
        trig = t.flow.window(t.flow.trigger_span_s)
        cex, cost = self._cex_and_cost(t.book, direction, t.notional_usd)
        executable = not (direction is Direction.SHORT and t.spot_only)
        status, code, reason = self._verdict(t.ts, t.last_dex_ts, t.book, conf, move, cost)
        if not executable and code is None:
            code, reason = F.SHORT_ON_SPOT, "short on a spot-only venue"
        # A passed signal silences the asset and direction for the cooldown; a filtered
        # one only for ``recheck_s``, so an anomaly that firms up is looked at again.
        self._quiet_until[key] = t.ts + int(
            (p.cooldown_s if status is SignalStatus.NEW else p.recheck_s) * 1000
        )
        features = _features(
            t.flow,
            t.vp,
            t.liquidity,
            t.regime,
            scores,
            t.large_threshold_usd,
            liq_bps_s,
            sigma,
            cost,
        )
        sid = signal_id(t.asset_id, t.ts, direction)
        self._covering[key] = (sid, {t.source})
        return Signal(
            id=sid,
            ts=t.ts,
            asset_id=t.asset_id,
            venue=t.venue,
            symbol=t.symbol,
            direction=direction,
            confidence=conf,
            expected_move_bps=move,
            priority=conf * move / cost,
            status=status,
            executable=executable,
            trigger_ts_event=t.trigger_event_ts,
            trigger_ts_recv=t.trigger_recv_ts,
            dex=_dex_context(t.chain, t.pool, t.dex_price, trig, t.liquidity, scores),
            cex=cex,
            status_reason=reason,
            expires_ts=t.ts + int(p.expiry_s * 1000),
            features=features,
            status_code=code,
        )

    def _cex_and_cost(
        self, book: OrderBook | None, direction: Direction, notional_usd: float
    ) -> tuple[CexContext | None, float]:
        """The CEX side at signal time, and the round trip's cost in bps: fees, the
        entry's slippage walking the book (half the spread included), the exit's half
        spread."""
        cost = 2 * self.taker_fee_bps
        if book is None or book.mid is None:
            return None, max(cost, _MIN_COST_BPS)
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
        cost += (walk.slippage_bps if walk else 0.0) + (book.spread_bps or 0.0) / 2
        return cex, max(cost, _MIN_COST_BPS)

    def _verdict(
        self,
        ts: int,
        last_dex_ts: int,
        book: OrderBook | None,
        conf: float,
        move: float,
        cost: float,
    ) -> tuple[SignalStatus, FilterReason | None, str | None]:
        """NEW, or FILTERED with the first filter that stopped it."""
        p = self.p
        stale = self._stale_reason(ts, last_dex_ts, book)
        if stale:
            return SignalStatus.FILTERED, stale[0], stale[1]
        if conf < p.min_confidence:
            why = f"confidence {conf:.2f} < {p.min_confidence:g}"
            return SignalStatus.FILTERED, F.LOW_CONFIDENCE, why
        if move <= cost:
            why = f"expected move {move:.1f} bps <= cost {cost:.1f}"
            return SignalStatus.FILTERED, F.MOVE_BELOW_COST, why
        return SignalStatus.NEW, None, None

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


def _features(
    flow: OrderFlowReading,
    vp: VolumePriceReading,
    liquidity: LiquidityReading | None,
    regime: RegimeState,
    scores: Scores,
    large_threshold_usd: float,
    liq_bps_s: float,
    sigma: float,
    cost: float,
) -> dict[str, float]:
    """The signal's feature vector: every reading it was scored on, by name (the export's
    columns, the models' inputs)."""
    lead = vp.lead
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
    return {k: float(v) for k, v in features.items()}


def _dex_context(
    chain: Chain,
    pool: str | None,
    dex_price: float | None,
    trig: WindowFlow,
    liquidity: LiquidityReading | None,
    scores: Scores,
) -> DexContext:
    return DexContext(
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
    )


def _scores(
    flow: OrderFlowReading, liquidity: LiquidityReading | None, vp: VolumePriceReading
) -> tuple[Scores, float]:
    """The per-input scores, aligned with the flow's direction, and the liquidity
    velocity in bps of the pool per second they were computed from."""
    d = flow.direction
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
    return scores, liq_bps_s
