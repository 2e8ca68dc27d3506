"""What the page is shown, made from what the engine holds: domain values → API models,
directly (a live signal is not turned into a database row first), and stored rows → the
same models for what is read back from the database."""

from __future__ import annotations

from typing import Any

from dexcex.api.schemas import (
    AssetOut,
    KillSwitchOut,
    OrderOut,
    PositionOut,
    SignalDetail,
    SignalOut,
    SourceOut,
)
from dexcex.config.core_settings import ScoreWeights
from dexcex.config.models import ExecutionSettings
from dexcex.core import AssetView, CoreOutput
from dexcex.domain import Direction, HealthState, Order, SignalStatus, SourceHealth
from dexcex.execution.kill_switch import KillState
from dexcex.execution.ledger import PositionView
from dexcex.labeling.outcomes import HORIZONS

__all__ = [
    "LIGHT",
    "SIGNAL_OUT_COLUMNS",
    "asset_out",
    "kill_out",
    "order_out",
    "position_out",
    "signal_detail_from_row",
    "signal_from_row",
    "signal_view",
    "source_out",
]

LIGHT = {
    HealthState.OK: "green",
    HealthState.DEGRADED: "amber",
    HealthState.STALE: "amber",
    HealthState.RATE_LIMITED: "amber",
    HealthState.DOWN: "red",
}
# What a signal row of the feed needs: the list reads these alone rather than all 120
# columns, which is most of its cost once the query itself is an index seek.
SIGNAL_OUT_COLUMNS = (
    "id",
    "created_ms",
    "asset_id",
    "venue",
    "symbol",
    "origin",
    "direction",
    "confidence",
    "expected_move_bps",
    "priority",
    "status",
    "status_reason",
    "executable",
    "expires_ms",
    "risk_decision",
    "risk_reasons",
    "risk_slippage_bps",
    "risk_size_base",
    "risk_notional_quote",
    "cex_mid",
    "dex_price_usd",
    "order_client_id",
    "fill_price",
    "filled_qty",
    "realized_slippage_bps",
)


def _f(v: Any) -> float | None:
    return None if v is None else float(v)


def _est_price(mid: float | None, slip: float | None, long: bool) -> float | None:
    if mid is None or slip is None:
        return None
    return mid * (1 + (1.0 if long else -1.0) * slip / 1e4)


def signal_view(out: CoreOutput) -> SignalOut:
    """A signal the engine just stored, with its risk verdict, as the feed's row."""
    s, d = out.signal, out.decision
    mid = s.cex.mid if s.cex else None
    long = s.direction is Direction.LONG
    status, reason = s.status.value, s.status_reason
    if not d.approved and s.status is SignalStatus.NEW:  # as the store records it
        status, reason = SignalStatus.REJECTED_BY_RISK.value, "; ".join(d.reasons)
    return SignalOut(
        id=s.id,
        created_ms=s.ts,
        asset_id=s.asset_id,
        venue=s.venue.value,
        symbol=s.symbol,
        origin=s.origin,
        direction=s.direction.value,
        confidence=s.confidence,
        expected_move_bps=s.expected_move_bps,
        priority=s.priority,
        status=status,
        status_reason=reason,
        executable=s.executable,
        expires_ms=s.expires_ts,
        risk_decision="approved" if d.approved else "rejected",
        risk_reasons=list(d.reasons),
        est_slippage_bps=d.est_slippage_bps,
        est_price=_est_price(mid, d.est_slippage_bps, long),
        size_base=d.size_base,
        notional_quote=d.notional_quote,
        cex_mid=mid,
        dex_price_usd=s.dex.dex_price_usd,
        order_client_id=None,
        fill_price=None,
        filled_qty=None,
        realized_slippage_bps=None,
    )


def signal_from_row(r: dict[str, Any]) -> SignalOut:
    """A stored signal row (only ``SIGNAL_OUT_COLUMNS`` needed) as the feed's row."""
    mid, slip = _f(r.get("cex_mid")), _f(r.get("risk_slippage_bps"))
    return SignalOut(
        id=r["id"],
        created_ms=r["created_ms"],
        asset_id=r["asset_id"],
        venue=r["venue"],
        symbol=r["symbol"],
        origin=r["origin"],
        direction=r["direction"],
        confidence=r["confidence"],
        expected_move_bps=r["expected_move_bps"],
        priority=r.get("priority"),
        status=r["status"],
        status_reason=r.get("status_reason"),
        executable=bool(r["executable"]),
        expires_ms=r.get("expires_ms"),
        risk_decision=r.get("risk_decision"),
        risk_reasons=list(r.get("risk_reasons") or []),
        est_slippage_bps=slip,
        est_price=_est_price(mid, slip, r["direction"] == "long"),
        size_base=_f(r.get("risk_size_base")),
        notional_quote=_f(r.get("risk_notional_quote")),
        cex_mid=mid,
        dex_price_usd=_f(r.get("dex_price_usd")),
        order_client_id=r.get("order_client_id"),
        fill_price=_f(r.get("fill_price")),
        filled_qty=_f(r.get("filled_qty")),
        realized_slippage_bps=_f(r.get("realized_slippage_bps")),
    )


def _contributions(features: dict[str, float], w: ScoreWeights) -> dict[str, float]:
    """Each input's share of the confidence logit: weight × its (aligned, clipped) score."""
    out = {"bias": w.bias}
    for name in ("orderflow", "liquidity", "volume_price", "smart_money", "concentration", "lead"):
        score = features.get(f"score_{name}")
        if score is not None:
            out[name] = float(getattr(w, name)) * score
    return out


def _latency(r: dict[str, Any]) -> dict[str, int | None]:
    # measured: the wall time the live engine built the signal (its created_ms is the
    # events' time); in virtual time there is no other
    ev, recv = r["trigger_event_ms"], r["trigger_recv_ms"]
    created = r.get("wall_ms") or r["created_ms"]
    return {
        "dex_event_to_received": recv - ev,
        "received_to_signal": created - recv,
        "signal_to_order": r.get("lat_signal_to_order_ms"),
        "order_to_ack": r.get("lat_order_to_ack_ms"),
    }


def signal_detail_from_row(r: dict[str, Any], weights: ScoreWeights | None = None) -> SignalDetail:
    base = signal_from_row(r).model_dump()
    features = {k: float(v) for k, v in (r.get("features") or {}).items()}
    outcomes = {
        f"{k}_{h}": r.get(f"{k}_{h}_bps" if k != "label" else f"label_{h}")
        for h in HORIZONS
        for k in ("ret", "net", "mfe", "mae", "label")
    }
    return SignalDetail(
        **base,
        features=features,
        contributions=_contributions(features, weights) if weights is not None else {},
        latency_ms=_latency(r),
        model_scores={"rule": float(r["confidence"])}
        | {k: float(v) for k, v in (r.get("model_scores") or {}).items()},
        scores={
            "orderflow": _f(r.get("score_orderflow")),
            "liquidity": _f(r.get("score_liquidity")),
            "volume_price": _f(r.get("score_volume_price")),
        },
        dex={
            "chain": r.get("dex_chain"),
            "pool": r.get("dex_pool"),
            "price_usd": _f(r.get("dex_price_usd")),
            "imbalance": _f(r.get("imbalance")),
            "buy_volume_usd": _f(r.get("buy_volume_usd")),
            "sell_volume_usd": _f(r.get("sell_volume_usd")),
            "window_s": r.get("window_s"),
            "liquidity_velocity": _f(r.get("liq_velocity")),
            "liquidity_acceleration": _f(r.get("liq_acceleration")),
            "volume_price_score": _f(r.get("vp_score")),
        },
        cex={
            "bid": _f(r.get("cex_bid")),
            "ask": _f(r.get("cex_ask")),
            "mid": _f(r.get("cex_mid")),
            "spread_bps": _f(r.get("cex_spread_bps")),
            "depth_bid_1pct": _f(r.get("cex_depth_bid_1pct")),
            "depth_ask_1pct": _f(r.get("cex_depth_ask_1pct")),
            "book_ms": r.get("cex_book_ms"),
        },
        outcomes=outcomes,
        outcome_note=r.get("outcome_note"),
        trigger_event_ms=r["trigger_event_ms"],
        trigger_recv_ms=r["trigger_recv_ms"],
    )


def order_out(o: Order) -> OrderOut:
    return OrderOut(
        client_order_id=o.client_order_id,
        signal_id=o.signal_id,
        leg=o.leg.value,
        venue=o.venue.value,
        symbol=o.symbol,
        side=o.side.value,
        qty=float(o.qty),
        status=o.status.value,
        mode=o.mode.value,
        filled_qty=float(o.filled_qty),
        avg_price=_f(o.avg_price),
        fee_quote=float(o.fee_quote),
        ts_created=o.ts_created,
        ts_ack=o.ts_ack,
        error=o.error,
        note=o.note,
    )


def position_out(p: PositionView, exits: ExecutionSettings | None = None) -> PositionOut:
    """With ``exits``: where it takes profit and stops out (on the mid), and when the
    time exit comes."""
    tp = sl = None
    exit_at = None
    if exits is not None and p.qty:
        d = 1.0 if p.qty > 0 else -1.0
        avg = float(p.avg_price)
        tp = avg * (1 + d * exits.take_profit_bps / 1e4)
        sl = avg * (1 - d * exits.stop_loss_bps / 1e4)
        if p.opened_ms is not None:
            exit_at = p.opened_ms + int(exits.exit_after_s * 1000)
    return PositionOut(
        take_profit=tp,
        stop_loss=sl,
        exit_at_ms=exit_at,
        asset_id=p.asset_id,
        origin=p.origin,
        qty=float(p.qty),
        avg_price=float(p.avg_price),
        mark=_f(p.mark),
        unrealized=_f(p.unrealized),
        realized=float(p.realized),
        fees=float(p.fees),
        opened_ms=p.opened_ms,
        signal_id=p.signal_id,
    )


def asset_out(v: AssetView, symbol: str | None) -> AssetOut:
    dex, cex = v.dex_price_usd, v.cex_mid
    return AssetOut(
        asset_id=v.asset_id,
        symbol=symbol,
        dex_price_usd=dex,
        cex_mid=cex,
        basis_bps=(cex / dex - 1.0) * 1e4 if cex and dex else None,
        imbalance=v.imbalance,
        buy_usd=v.buy_usd,
        sell_usd=v.sell_usd,
        liquidity_usd=v.liquidity_usd,
        liquidity_velocity_usd_s=v.liquidity_velocity_usd_s,
        regime=v.regime,
    )


def source_out(h: SourceHealth, light: str | None = None) -> SourceOut:
    return SourceOut(
        name=h.source,
        kind=h.kind.value,
        state=h.state.value,
        light=light or LIGHT[h.state],
        connected=h.connected,
        active=h.active,
        last_msg_age_ms=h.last_msg_age_ms,
        msg_rate=h.msg_rate,
        errors=h.errors,
        rate_limited=h.rate_limited,
        reconnects=h.reconnects,
        rejected=h.rejected,
        latency_p50_ms=h.latency_p50_ms,
        latency_p99_ms=h.latency_p99_ms,
        detail=h.detail,
    )


def kill_out(k: KillState) -> KillSwitchOut:
    return KillSwitchOut(
        on=k.on, reason=k.reason.value if k.reason else None, detail=k.detail, since_ms=k.since_ms
    )
