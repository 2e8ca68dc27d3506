"""What live trading keeps besides orders: the open trade of a signal, the report of a
reconciliation, the gate that keeps live trading off unless asked for, and the order
arithmetic the trader and its reconciliation share."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import msgspec

from dexcex.config import Settings
from dexcex.domain import (
    ConfigError,
    Direction,
    Fill,
    Liquidity,
    Order,
    TradingMode,
    VenueId,
)
from dexcex.logs import get_logger, register_secrets

__all__ = ["LiveTrade", "ReconcileReport", "live_gate"]

_log = get_logger("dexcex.live")
_Q = Decimal("0.00000001")
_DAY_MS = 86_400_000
# A refusal that says nothing about our order, only about the venue right now: the backup
# may take the same order.
_VENUE_REASONS = frozenset({"exchange_error", "market_closed"})
_MAX_BACKOFF_S = 30.0  # the longest wait between two lookups of an order being followed


def live_gate(settings: Settings) -> None:
    """Raise ``ConfigError`` unless live trading was asked for and can authenticate."""
    if not settings.live.enabled:
        raise ConfigError(
            "live trading is off: set live.enabled = true (or DEXCEX_LIVE__ENABLED=true) "
            "to trade real money"
        )
    primary = settings.venues.primary
    if not settings.venues.get(primary).has_keys:
        name = primary.value.upper()
        raise ConfigError(
            f"live trading needs {primary.value} API keys: set DEXCEX_VENUES__{name}__API_KEY "
            f"and DEXCEX_VENUES__{name}__API_SECRET (or their secret files)"
        )
    for vid in VenueId:
        vs = settings.venues.get(vid)
        register_secrets([vs.api_key, vs.api_secret])


@dataclass
class LiveTrade:
    """One signal's position: its entry and the exits sent so far."""

    signal_id: str
    asset_id: str
    origin: str
    direction: Direction
    venue: VenueId
    symbol: str
    qty: Decimal  # still open, base units
    entry_price: Decimal
    opened_ms: int
    exits: int = 0
    exiting: bool = False


@dataclass
class ReconcileReport:
    checked: int = 0  # unfinished orders looked up at their venue
    updated: int = 0  # … whose state changed
    adopted: int = 0  # orders of ours at a venue the database did not know
    missing: int = 0  # unfinished orders the venue does not have: failed, never placed
    open_trades: int = 0  # positions rebuilt
    balances: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # venue → asset → total
    warnings: list[str] = field(default_factory=list)


def _replace(order: Order, **changes: Any) -> Order:
    return msgspec.structs.replace(order, **changes)


def _notional(o: Order) -> Decimal:
    if o.filled_qty > 0 and o.avg_price is not None:
        return o.filled_qty * o.avg_price
    if o.status.is_final:
        return Decimal(0)
    return o.qty * (o.price or o.avg_price or Decimal(0))


def _fill_delta(before: Order | None, after: Order) -> Fill | None:
    """The fill implied by an order's filled quantity growing (the venue's per-trade fills
    are not fetched: one fill per observed increase, at the implied average price)."""
    q0 = before.filled_qty if before is not None else Decimal(0)
    if after.filled_qty <= q0 or after.avg_price is None:
        return None
    p0 = before.avg_price if before is not None and before.avg_price is not None else Decimal(0)
    dq = after.filled_qty - q0
    price = ((after.avg_price * after.filled_qty - p0 * q0) / dq).quantize(_Q)
    f0 = before.fee_quote if before is not None else Decimal(0)
    now = after.ts_updated or after.ts_created
    return Fill(
        after.client_order_id,
        after.venue,
        after.symbol,
        after.side,
        price,
        dq,
        max(after.fee_quote - f0, Decimal(0)),
        "USDT",
        Liquidity.TAKER,
        f"{after.client_order_id}-{after.filled_qty.normalize()}",
        TradingMode.LIVE,
        now,
        now,
    )
