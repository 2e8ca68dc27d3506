"""What the API answers, as pydantic models (the OpenAPI schema is generated from them)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = [
    "AlertOut",
    "AssetOut",
    "AssetPerformance",
    "AutoIn",
    "ErrorOut",
    "ExecuteIn",
    "ExecuteOut",
    "HistoryOut",
    "KillIn",
    "KillSwitchOut",
    "OrderOut",
    "PerformanceOut",
    "PositionOut",
    "RiskOut",
    "SignalDetail",
    "SignalOut",
    "SignalPage",
    "SourceOut",
    "StatusOut",
    "TradeOut",
]

Light = Literal["green", "amber", "red"]


class ErrorOut(BaseModel):
    detail: str


class SignalOut(BaseModel):
    id: str
    created_ms: int
    asset_id: str
    venue: str
    symbol: str
    origin: str
    direction: str
    confidence: float
    expected_move_bps: float
    priority: float | None
    status: str
    status_reason: str | None
    executable: bool
    expires_ms: int | None
    risk_decision: str | None
    risk_reasons: list[str]
    est_slippage_bps: float | None = Field(None, description="from the book walk at signal time")
    est_price: float | None = Field(None, description="estimated average fill price")
    size_base: float | None
    notional_quote: float | None
    cex_mid: float | None
    dex_price_usd: float | None
    order_client_id: str | None
    fill_price: float | None
    filled_qty: float | None
    realized_slippage_bps: float | None


class SignalPage(BaseModel):
    items: list[SignalOut]
    next_before: str | None = Field(None, description="pass as ?before= for the next page")


class SignalDetail(SignalOut):
    features: dict[str, float]
    # the rule's probability (its confidence) and each active or shadow model's, by id
    model_scores: dict[str, float] = Field(default_factory=dict)
    scores: dict[str, float | None]
    dex: dict[str, float | int | str | None]
    cex: dict[str, float | int | None]
    outcomes: dict[str, float | bool | None]
    outcome_note: str | None
    trigger_event_ms: int
    trigger_recv_ms: int
    contributions: dict[str, float] = Field(
        default_factory=dict, description="weight × score per input, and the bias (logit)"
    )
    latency_ms: dict[str, int | None] = Field(
        default_factory=dict, description="per hop: DEX event → received → signal → order → ack"
    )


class ExecuteIn(BaseModel):
    confirm: bool = Field(False, description="required (true) in live mode")


class OrderOut(BaseModel):
    client_order_id: str
    signal_id: str | None
    leg: Literal["entry", "exit"] = "entry"
    venue: str
    symbol: str
    side: str
    qty: float
    status: str
    mode: str
    filled_qty: float
    avg_price: float | None
    fee_quote: float
    ts_created: int
    ts_ack: int | None
    error: str | None
    note: str | None


class ExecuteOut(BaseModel):
    signal_id: str
    mode: str
    order: OrderOut


class PositionOut(BaseModel):
    asset_id: str
    origin: str
    qty: float
    avg_price: float
    mark: float | None
    unrealized: float | None
    realized: float
    fees: float
    opened_ms: int | None
    signal_id: str | None
    take_profit: float | None = Field(None, description="mid at which it takes profit")
    stop_loss: float | None = Field(None, description="mid at which it stops out")
    exit_at_ms: int | None = Field(None, description="market time of the time exit")


class SourceOut(BaseModel):
    name: str
    kind: str
    state: str
    light: Light
    connected: bool
    active: bool
    last_msg_age_ms: int | None
    msg_rate: float
    errors: int
    rate_limited: int
    reconnects: int
    rejected: int
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    detail: str
    accuracy: float | None = Field(None, description="share of samples agreeing with others")
    excluded: bool = Field(False, description="kept from signal generation (disagrees)")


class StatusOut(BaseModel):
    mode: Literal["paper", "live"]
    auto_execute: bool
    market: str
    active_venue: str | None
    now_ms: int
    uptime_s: float
    events: int
    signals: int
    dropped: int
    sources: list[SourceOut]


class AlertOut(BaseModel):
    ts: int
    rule: str
    severity: str
    message: str
    source: str | None
    cleared_ts: int | None


class AssetOut(BaseModel):
    asset_id: str
    symbol: str | None
    dex_price_usd: float | None
    cex_mid: float | None
    basis_bps: float | None
    imbalance: float
    buy_usd: float
    sell_usd: float
    liquidity_usd: float | None
    liquidity_velocity_usd_s: float
    regime: str


class OriginPerformance(BaseModel):
    signals: int
    executed: int
    round_trips: int
    open_positions: int
    hit_rate: float | None
    expectancy_usdt: float | None
    expectancy_bps: float | None
    total_pnl_usdt: float
    max_drawdown_usdt: float
    slippage_bps_p10_p50_p90: tuple[float, float, float] | None


class TradeOut(BaseModel):
    """One round trip: entry and exit filled."""

    signal_id: str
    origin: str
    asset_id: str
    opened_ms: int
    closed_ms: int
    duration_s: float
    qty: float
    entry: float
    exit: float
    fees: float
    pnl: float = Field(description="after fees, quote")
    pnl_bps: float
    exit_reason: str = Field(description="by the exit rule applied to the exit's fill")


class AssetPerformance(BaseModel):
    asset_id: str
    trades: int
    hit_rate: float | None
    pnl: float


class HistoryOut(BaseModel):
    mode: str
    trades: list[TradeOut] = Field(description="newest first")
    equity: list[tuple[int, float]] = Field(description="(closed ms, cumulative P&L), all trades")
    by_asset: list[AssetPerformance]
    by_origin: dict[str, OriginPerformance]


class AutoIn(BaseModel):
    on: bool = Field(description="true: every approved signal is traded; false: clicks only")


class PerformanceOut(BaseModel):
    mode: str
    by_origin: dict[str, OriginPerformance]


class KillSwitchOut(BaseModel):
    on: bool
    reason: str | None
    detail: str
    since_ms: int | None


class KillIn(BaseModel):
    on: bool = Field(True, description="true engages, false releases")
    flatten: bool = Field(False, description="also close every open position")
    detail: str = Field("", max_length=200, description="why, for the record")


class ExitIn(BaseModel):
    asset_id: str = Field(..., max_length=32, description="the position's asset")
    origin: str = Field("dex", max_length=32, description="dex, or the baseline's name")


class RiskOut(BaseModel):
    """The account and risk strip: what the limits bind on, and the switch."""

    mode: str
    auto_execute: bool
    kill_switch: KillSwitchOut
    exposure_usd: float
    max_exposure_usd: float
    by_asset_usd: dict[str, float]
    max_per_asset_usd: float
    day_pnl_usd: float
    max_daily_loss_usd: float
    open_positions: int
    balances: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="venue → asset → total, as each venue last said (live; none in paper)",
    )
    cancelled_orders: list[OrderOut] = Field(default_factory=list)
