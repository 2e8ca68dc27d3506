"""Orders on a ccxt venue: placed at most once, looked up by client order id.

A create whose answer was lost, or an order just created that the venue does not show
yet (MEXC -2013), is looked up by its client order id with bounded backoff before anyone
may retry; a duplicate client order id answers with the order that exists. A caller that
follows its orders itself (the live trader) may take the venue's acknowledgement as the
answer (``read_fill=False``) instead of waiting for the fill state. Mixed into
``CcxtVenue``.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

import msgspec

from dexcex.domain import (
    Clock,
    DexcexError,
    InvalidInput,
    NotFound,
    Order,
    OrderOutcomeUnknown,
    OrderStatus,
    OrderType,
    RateLimited,
    Rejected,
    Side,
    TradingMode,
    VenueId,
)
from dexcex.edge.health import HealthTracker
from dexcex.venues.ccxt_parse import order_from_ccxt

__all__ = ["LOOKUP_DELAYS_S", "CcxtOrders"]

T = TypeVar("T")
# Waits between lookups of an order whose creation answer was lost …
LOOKUP_DELAYS_S = (0.2, 0.5, 1.0, 2.0)
# … and of one just created, which a venue may not show yet (MEXC -2013): ask at once,
# then back off.
FRESH_DELAYS_S = (0.0, 0.15, 0.3, 0.6, 1.2, 2.4)
# A create refused by a rate limit that resets in under this (Bybit's per-second endpoint
# limits; a Retry-After is whole seconds) goes again, so often.
SHORT_LIMIT_S = 1.0
SHORT_LIMIT_RETRIES = 2


class CcxtOrders(ABC):
    """The order half of ``CcxtVenue`` (which provides the attributes below)."""

    id: ClassVar[VenueId]
    clock: Clock
    mode: TradingMode
    rest: Any
    tracker: HealthTracker

    @abstractmethod
    def _lookup_params(self, client_order_id: str) -> dict[str, Any]:
        """The venue's query parameters that find an order by our client id."""

    @abstractmethod
    async def _call(
        self,
        op: str,
        fn: Callable[..., Awaitable[T]],
        *args: Any,
        client_order_id: str | None = None,
        **kwargs: Any,
    ) -> T:
        """One REST call through the venue's limiter, health and error mapping."""

    # --- orders ------------------------------------------------------------------------------

    async def fetch_order_by_client_id(self, client_order_id: str, symbol: str) -> Order | None:
        try:
            raw = await self._call(
                "fetch_order",
                self.rest.fetch_order,
                None,
                symbol,
                self._lookup_params(client_order_id),
            )
        except NotFound:
            return None
        except Rejected as exc:
            if exc.reason == "invalid_order":  # some venues answer "bad request" for unknown ids
                return None
            raise
        return order_from_ccxt(raw, self.id, mode=self.mode, ts_now=self.clock.now_ms())

    async def create_order(
        self,
        client_order_id: str,
        symbol: str,
        side: Side,
        type_: OrderType,
        qty: Decimal,
        price: Decimal | None = None,
        *,
        read_fill: bool = True,
    ) -> Order:
        """Place once. A terse answer to a market order (MEXC's: ids, no fill state) is
        completed by looking the order up, unless ``read_fill`` is off: then the answer is
        the acknowledgement (open, with its ids), for a caller that follows it. A lost
        answer, a refusal that may not be one and a duplicate id are looked up either way."""
        now = self.clock.now_ms()
        sent = Order(
            client_order_id,
            self.id,
            symbol,
            side,
            type_,
            qty,
            price,
            OrderStatus.SENT,
            self.mode,
            now,
            ts_sent=now,
        )
        args = (
            symbol,
            type_.value,
            side.value,
            float(qty),
            float(price) if price is not None else None,
        )
        try:
            raw = await self._send_create(client_order_id, args)
        except OrderOutcomeUnknown:
            found = await self._find_after_lost_answer(client_order_id, symbol)
            if found is None:
                raise
            return found
        except Rejected as exc:
            return await self._after_refusal(exc, client_order_id, symbol)
        acked = self.clock.now_ms()
        sent = msgspec.structs.replace(sent, status=OrderStatus.OPEN, ts_ack=acked)
        order = order_from_ccxt(raw, self.id, mode=self.mode, fallback=sent, ts_now=acked)
        if read_fill and order.status is OrderStatus.OPEN and type_ is OrderType.MARKET:
            # Terse create answers (MEXC) carry no fill state: ask, with backoff, since a
            # fresh order may not be visible yet (-2013). The order exists whatever the
            # lookup says: a failed lookup leaves it open for the caller to follow.
            fresh = await self._find_after_lost_answer(client_order_id, symbol, FRESH_DELAYS_S)
            if fresh is not None:
                order = _with_timing(fresh, sent)
        return order

    async def _after_refusal(self, exc: Rejected, client_order_id: str, symbol: str) -> Order:
        """A create answered with a refusal that may not be one: the order, or ``exc``."""
        if exc.reason == "exchange_error":
            # An error we cannot read as a refusal came after the request left: the
            # order may exist. Look before anyone fails it over to another venue.
            found = await self._find_after_lost_answer(client_order_id, symbol, FRESH_DELAYS_S)
            if found is None:
                raise exc
            return found
        if exc.reason != "duplicate_client_order_id":
            raise exc
        # An earlier attempt with this id reached the venue: that order is the answer.
        found = await self._find_after_lost_answer(client_order_id, symbol, FRESH_DELAYS_S)
        if found is None:  # it exists but cannot be seen: unknown, never "rejected"
            raise OrderOutcomeUnknown(str(exc), client_order_id) from exc
        return found

    async def _send_create(self, client_order_id: str, args: tuple[Any, ...]) -> Any:
        """The create request. A rate-limit answer placed nothing: when its wait is short
        (Bybit 10006 until the reset) the same request goes again, a bounded few times."""
        for attempt in range(SHORT_LIMIT_RETRIES + 1):
            try:
                return await self._call(
                    "create_order",
                    self.rest.create_order,
                    *args,
                    {"clientOrderId": client_order_id},
                    client_order_id=client_order_id,
                )
            except RateLimited as exc:
                wait = exc.retry_after_s
                if attempt == SHORT_LIMIT_RETRIES or wait is None or wait >= SHORT_LIMIT_S:
                    raise
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")

    async def _find_after_lost_answer(
        self, client_order_id: str, symbol: str, delays: tuple[float, ...] = LOOKUP_DELAYS_S
    ) -> Order | None:
        """Look an order up by client order id with bounded backoff (None: still not
        seen). Used when a create's answer was lost, and when an order just created is
        not visible yet; no error of the lookup is taken for the order's fate."""
        for delay in delays:
            await asyncio.sleep(delay)
            try:
                found = await self.fetch_order_by_client_id(client_order_id, symbol)
            except DexcexError:
                continue
            if found is not None:
                return found
        return None

    async def cancel_order(self, client_order_id: str, symbol: str) -> Order:
        order = await self.fetch_order_by_client_id(client_order_id, symbol)
        if order is None:
            raise NotFound(f"{self.id}: no order {client_order_id}")
        if order.status.is_final:
            return order
        await self._call("cancel_order", self.rest.cancel_order, order.venue_order_id, symbol)
        fresh = await self.fetch_order_by_client_id(client_order_id, symbol)
        return fresh or order

    async def open_orders(self, symbol: str | None = None) -> list[Order]:
        raw = await self._call("fetch_open_orders", self.rest.fetch_open_orders, symbol)
        out: list[Order] = []
        for o in raw:
            try:
                out.append(order_from_ccxt(o, self.id, mode=self.mode, ts_now=self.clock.now_ms()))
            except InvalidInput as exc:
                self.tracker.reject("bad_order", str(exc))
        return out


def _with_timing(order: Order, sent: Order) -> Order:
    return msgspec.structs.replace(
        order, ts_sent=sent.ts_sent, ts_ack=sent.ts_ack, ts_created=sent.ts_created
    )
