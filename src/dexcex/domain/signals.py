"""Signals (a DEX anomaly turned into a CEX trade idea) and the risk layer's decision."""

from __future__ import annotations

import msgspec

from dexcex.domain._checks import check_finite, check_time
from dexcex.domain.enums import Chain, Direction, Regime, SignalStatus, VenueId
from dexcex.domain.errors import DomainValidationError
from dexcex.domain.reasons import FilterReason, RiskReason

__all__ = ["CexContext", "DexContext", "RiskDecision", "Signal"]


class DexContext(msgspec.Struct, frozen=True):
    """The DEX side of a signal, as seen when it fired.

    ``imbalance`` is (B - S) / (B + S) of aggressive USD volume over ``window_s``;
    velocities are USD per second (first and second difference of pool liquidity, EWMA).
    ``scores`` holds each algorithm's standardized score by name.
    """

    chain: Chain | None
    pool: str | None
    dex_price_usd: float | None
    imbalance: float
    buy_volume_usd: float
    sell_volume_usd: float
    window_s: int
    liquidity_velocity: float
    liquidity_acceleration: float
    volume_price_score: float
    scores: dict[str, float] = msgspec.field(default_factory=dict)


class CexContext(msgspec.Struct, frozen=True):
    """The CEX book at signal time; depth is quote value within 1 % of mid, per side."""

    bid: float
    ask: float
    mid: float
    spread_bps: float
    depth_bid_1pct: float
    depth_ask_1pct: float
    book_ts: int


class Signal(msgspec.Struct, frozen=True):
    """A scored trade idea for one asset's CEX market.

    ``confidence`` in [0, 1]; ``expected_move_bps`` signed in the direction of the trade
    (always >= 0 here, the direction carries the sign); ``priority`` =
    confidence × expected move ÷ estimated cost. ``executable`` is False for a short on a
    spot-only venue — kept and shown, never silently dropped.
    """

    id: str
    ts: int
    asset_id: str
    venue: VenueId
    symbol: str
    direction: Direction
    confidence: float
    expected_move_bps: float
    priority: float
    status: SignalStatus
    executable: bool
    trigger_ts_event: int
    trigger_ts_recv: int
    dex: DexContext
    cex: CexContext | None
    origin: str = "dex"  # "dex" for DEX-originated, "cex_baseline" for the comparison rule
    status_reason: str | None = None
    expires_ts: int | None = None
    features: dict[str, float] = msgspec.field(default_factory=dict)
    status_code: FilterReason | None = None  # the code of ``status_reason``
    # the active and shadow models' calibrated probabilities, by model id (the rule's
    # is ``confidence``)
    model_scores: dict[str, float] = msgspec.field(default_factory=dict)
    # when the live engine built it, on the wall clock (None in virtual time): what its
    # latency is measured from. ``ts`` is the events' time (the engine's clock), which a
    # replay of the run's recording gives again
    ts_wall: int | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise DomainValidationError("Signal.id must be non-empty")
        check_time("Signal", "ts", self.ts)
        check_time("Signal", "trigger_ts_event", self.trigger_ts_event)
        check_finite("Signal", "confidence", self.confidence)
        if not 0.0 <= self.confidence <= 1.0:
            raise DomainValidationError(f"Signal.confidence={self.confidence}: must be in [0, 1]")
        check_finite("Signal", "expected_move_bps", self.expected_move_bps)
        check_finite("Signal", "priority", self.priority)


class RiskDecision(msgspec.Struct, frozen=True):
    """The risk layer's verdict on one signal, with every reason that shaped it.

    ``size_base`` is the approved quantity in base units (0 when rejected);
    ``est_avg_price`` and ``est_worst_price`` come from walking the current book;
    ``est_slippage_bps`` is the average fill versus mid, in the direction of the trade.
    """

    signal_id: str
    ts: int
    approved: bool
    size_base: float
    notional_quote: float
    est_avg_price: float | None
    est_worst_price: float | None
    est_slippage_bps: float | None
    regime: Regime
    reasons: tuple[str, ...]  # for a person: each check that failed, with its figures
    flags: tuple[str, ...] = ()
    codes: tuple[RiskReason, ...] = ()  # for code: one per reason, in the same order

    def __post_init__(self) -> None:
        check_time("RiskDecision", "ts", self.ts)
        if self.size_base < 0 or self.notional_quote < 0:
            raise DomainValidationError("RiskDecision: size and notional must be >= 0")
        if self.approved and self.size_base <= 0:
            raise DomainValidationError("RiskDecision: an approved decision needs a size > 0")
        if not self.approved and not self.reasons:
            raise DomainValidationError("RiskDecision: a rejection must say why")
