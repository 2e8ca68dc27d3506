"""Closed sets of names shared by every layer."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "Chain",
    "Direction",
    "HealthState",
    "Liquidity",
    "OrderLeg",
    "OrderStatus",
    "OrderType",
    "Regime",
    "Side",
    "SignalStatus",
    "SourceKind",
    "TradingMode",
    "VenueId",
]


class Chain(StrEnum):
    """The chains we watch. One closed enum: a new chain is a code change, not a string."""

    SOLANA = "solana"
    ETHEREUM = "ethereum"
    BSC = "bsc"
    POLYGON = "polygon"

    @property
    def is_evm(self) -> bool:
        return self is not Chain.SOLANA


class VenueId(StrEnum):
    MEXC = "mexc"
    BYBIT = "bybit"


class Side(StrEnum):
    """Taker side of a trade (the aggressor) or side of an order, always of the base token."""

    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class Direction(StrEnum):
    LONG = "long"
    SHORT = "short"

    @property
    def sign(self) -> int:
        return 1 if self is Direction.LONG else -1

    @property
    def entry_side(self) -> Side:
        return Side.BUY if self is Direction.LONG else Side.SELL


class SignalStatus(StrEnum):
    NEW = "new"
    FILTERED = "filtered"
    REJECTED_BY_RISK = "rejected_by_risk"
    EXECUTED = "executed"
    EXPIRED = "expired"


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"


class OrderLeg(StrEnum):
    """Which part of a signal's trade an order is: it opens the position or closes it."""

    ENTRY = "entry"
    EXIT = "exit"

    @property
    def code(self) -> str:
        """The letter in the client order id (``dxe…``, ``dxx…``)."""
        return "e" if self is OrderLeg.ENTRY else "x"


class OrderStatus(StrEnum):
    """Lifecycle of an order; the last five are final."""

    CREATED = "created"  # persisted locally, not yet sent
    SENT = "sent"  # on the wire, no answer yet
    OPEN = "open"  # acknowledged by the venue, resting
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"
    FAILED = "failed"  # never reached the venue

    @property
    def is_final(self) -> bool:
        return self in _FINAL_ORDER_STATES


_FINAL_ORDER_STATES = frozenset(
    {
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
        OrderStatus.REJECTED,
        OrderStatus.EXPIRED,
        OrderStatus.FAILED,
    }
)


class Liquidity(StrEnum):
    MAKER = "maker"
    TAKER = "taker"


class TradingMode(StrEnum):
    PAPER = "paper"
    LIVE = "live"


class HealthState(StrEnum):
    """Shown as one light per source: OK green; DEGRADED, STALE, RATE_LIMITED amber; DOWN red."""

    OK = "ok"
    DEGRADED = "degraded"
    STALE = "stale"
    RATE_LIMITED = "rate_limited"
    DOWN = "down"


class SourceKind(StrEnum):
    DEX_SOURCE = "dex_source"
    CEX_VENUE = "cex_venue"
    ENGINE = "engine"  # the engine's own tasks and storage (``pipeline.faults``)


class Regime(StrEnum):
    """Market regime from CEX returns; UNKNOWN until enough history exists."""

    UNKNOWN = "unknown"
    CALM = "calm"
    NORMAL = "normal"
    VOLATILE = "volatile"
    EXTREME = "extreme"
