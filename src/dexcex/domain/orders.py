"""Orders we place and the fills we get: money, so ``Decimal`` throughout."""

from __future__ import annotations

import re
from decimal import Decimal

import msgspec

from dexcex.domain._checks import check_non_negative, check_positive, check_time
from dexcex.domain.enums import (
    Liquidity,
    OrderLeg,
    OrderStatus,
    OrderType,
    Side,
    TradingMode,
    VenueId,
)
from dexcex.domain.errors import DomainValidationError

__all__ = ["Fill", "Order", "client_order_id_for", "leg_of_client_id"]

# Bybit's orderLinkId allows at most 36 chars of [A-Za-z0-9_-]; MEXC accepts the same,
# so one format works on both venues.
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,36}$")


def client_order_id_for(signal_id: str, leg: OrderLeg = OrderLeg.ENTRY, attempt: int = 0) -> str:
    """The client order id of one leg of a signal's trade (``dxe…`` entry, ``dxx…``).

    Derived, not random: the same signal leg always maps to the same id, so a retry after
    a lost answer can look the order up (and a venue rejects a duplicate) instead of
    placing twice. ``attempt`` changes only when a *new* order is intended (e.g. after a
    confirmed rejection on one venue and failover to another).
    """
    core = re.sub(r"[^A-Za-z0-9]", "", signal_id)[-26:]
    cid = f"dx{leg.code}{attempt}{core}"
    if not _CLIENT_ID.match(cid):
        raise DomainValidationError(f"client order id {cid!r} is not venue-safe")
    return cid


def leg_of_client_id(client_order_id: str) -> OrderLeg | None:
    """The leg an id of ours names (None: not one of ours). Only for an order found at a
    venue that our records do not know (reconciliation): everywhere else the leg is the
    order's own field."""
    if client_order_id.startswith("dxe"):
        return OrderLeg.ENTRY
    if client_order_id.startswith("dxx"):
        return OrderLeg.EXIT
    return None


class Order(msgspec.Struct, frozen=True):
    """One order, paper or live. ``qty`` is in base units; ``price`` is None for market."""

    client_order_id: str
    venue: VenueId
    symbol: str
    side: Side
    type: OrderType
    qty: Decimal
    price: Decimal | None
    status: OrderStatus
    mode: TradingMode
    ts_created: int
    signal_id: str | None = None
    venue_order_id: str | None = None
    filled_qty: Decimal = Decimal(0)
    avg_price: Decimal | None = None
    fee_quote: Decimal = Decimal(0)
    ts_sent: int | None = None
    ts_ack: int | None = None
    ts_updated: int | None = None
    error: str | None = None
    note: str | None = None  # how it was routed (e.g. failover to the backup venue)
    leg: OrderLeg = OrderLeg.ENTRY  # opens or closes the signal's position

    def __post_init__(self) -> None:
        if not _CLIENT_ID.match(self.client_order_id):
            raise DomainValidationError(
                f"Order.client_order_id={self.client_order_id!r}: 1-36 chars of [A-Za-z0-9_-]"
            )
        check_positive("Order", "qty", self.qty)
        if self.type is OrderType.LIMIT and self.price is None:
            raise DomainValidationError("Order: a limit order needs a price")
        if self.price is not None:
            check_positive("Order", "price", self.price)
        check_non_negative("Order", "filled_qty", self.filled_qty)
        if self.filled_qty > self.qty:
            raise DomainValidationError(
                f"Order {self.client_order_id}: filled {self.filled_qty} > qty {self.qty}"
            )
        check_time("Order", "ts_created", self.ts_created)

    @property
    def remaining_qty(self) -> Decimal:
        return self.qty - self.filled_qty


class Fill(msgspec.Struct, frozen=True):
    """One execution of an order. ``fee`` is in ``fee_asset`` units."""

    client_order_id: str
    venue: VenueId
    symbol: str
    side: Side
    price: Decimal
    qty: Decimal
    fee: Decimal
    fee_asset: str
    liquidity: Liquidity
    trade_id: str
    mode: TradingMode
    ts_event: int
    ts_recv: int

    def __post_init__(self) -> None:
        check_positive("Fill", "price", self.price)
        check_positive("Fill", "qty", self.qty)
        check_non_negative("Fill", "fee", self.fee)
        check_time("Fill", "ts_event", self.ts_event)
        check_time("Fill", "ts_recv", self.ts_recv)

    @property
    def notional(self) -> Decimal:
        return self.price * self.qty
