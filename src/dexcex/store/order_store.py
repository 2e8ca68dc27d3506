"""Orders (unique by client order id) and their fills."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from dexcex.domain import (
    Fill,
    Liquidity,
    NotFound,
    Order,
    OrderLeg,
    OrderStatus,
    OrderType,
    Rejected,
    Side,
    TradingMode,
    VenueId,
)
from dexcex.store.models import FillRow, OrderRow

__all__ = ["FillStore", "OrderStore", "Put"]

_OPEN = [s.value for s in OrderStatus if not s.is_final]
# What an order is; the rest (status, fills, times, errors) is its state, which moves on.
_IDENTITY = ("signal_id", "venue", "symbol", "side", "type", "mode", "qty", "leg")


class Put(StrEnum):
    """What ``OrderStore.put`` did."""

    ADDED = "added"
    UPDATED = "updated"
    SAME = "same"  # that exact row was stored already: nothing to do
    CONFLICT = "conflict"  # another order under this id, or a final state rewritten


def _order_values(o: Order) -> dict[str, object]:
    return {
        "client_order_id": o.client_order_id,
        "venue_order_id": o.venue_order_id,
        "signal_id": o.signal_id,
        "venue": o.venue.value,
        "symbol": o.symbol,
        "side": o.side.value,
        "type": o.type.value,
        "mode": o.mode.value,
        "status": o.status.value,
        "qty": o.qty,
        "price": o.price,
        "filled_qty": o.filled_qty,
        "avg_price": o.avg_price,
        "fee_quote": o.fee_quote,
        "created_ms": o.ts_created,
        "sent_ms": o.ts_sent,
        "ack_ms": o.ts_ack,
        "updated_ms": o.ts_updated or o.ts_created,
        "error": o.error,
        "note": o.note,
        "leg": o.leg.value,
    }


def _to_order(r: OrderRow) -> Order:
    return Order(
        client_order_id=r.client_order_id,
        venue=VenueId(r.venue),
        symbol=r.symbol,
        side=Side(r.side),
        type=OrderType(r.type),
        qty=r.qty,
        price=r.price,
        status=OrderStatus(r.status),
        mode=TradingMode(r.mode),
        ts_created=r.created_ms,
        signal_id=r.signal_id,
        venue_order_id=r.venue_order_id,
        filled_qty=r.filled_qty,
        avg_price=r.avg_price,
        fee_quote=r.fee_quote,
        ts_sent=r.sent_ms,
        ts_ack=r.ack_ms,
        ts_updated=r.updated_ms,
        error=r.error,
        note=r.note,
        leg=OrderLeg(r.leg),
    )


class OrderStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def add(self, order: Order) -> None:
        """Insert a new order; a client order id that exists already is refused."""
        try:
            with self._sessions.begin() as session:
                session.execute(insert(OrderRow), [_order_values(order)])
        except IntegrityError:
            raise Rejected(
                f"client order id {order.client_order_id} exists already",
                reason="duplicate_client_order_id",
            ) from None

    def put(self, order: Order) -> tuple[Put, str]:
        """Write ``order`` whatever is stored: a new id is inserted, the same row again is
        a no-op, a later state of the same order is an update. A different order under
        the id, or a final state overwritten by another, is not written: ``CONFLICT``
        and why (the caller sets it aside)."""
        values = _order_values(order)
        cid = order.client_order_id
        with self._sessions.begin() as session:
            row = session.scalar(select(OrderRow).where(OrderRow.client_order_id == cid))
            if row is None:
                session.execute(insert(OrderRow), [values])
                return Put.ADDED, ""
            stored = _order_values(_to_order(row))
            differ = [k for k in _IDENTITY if stored[k] != values[k]]
            if differ:
                return Put.CONFLICT, f"another order under {cid}: {', '.join(differ)} differ"
            if stored == values:
                return Put.SAME, ""
            if OrderStatus(row.status).is_final:
                return Put.CONFLICT, f"{cid} is final ({row.status}); refused {order.status}"
            values.pop("client_order_id")
            values.pop("created_ms")
            session.execute(
                update(OrderRow).where(OrderRow.client_order_id == cid).values(**values)
            )
            return Put.UPDATED, ""

    def save(self, order: Order) -> None:
        """Update an existing order to the given state (looked up by client order id)."""
        values = _order_values(order)
        cid = values.pop("client_order_id")
        values.pop("created_ms")
        with self._sessions.begin() as session:
            result = session.execute(
                update(OrderRow).where(OrderRow.client_order_id == cid).values(**values)
            )
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound(f"order {cid} not found")

    def get(self, client_order_id: str) -> Order | None:
        with self._sessions() as session:
            row = session.scalar(
                select(OrderRow).where(OrderRow.client_order_id == client_order_id)
            )
            return _to_order(row) if row else None

    def entries_for(self, signal_id: str) -> list[Order]:
        """Every entry order intended for a signal, oldest first (a signal is executed
        once, ever: another is tried only after each earlier one ended unfilled)."""
        stmt = (
            select(OrderRow)
            .where(OrderRow.signal_id == signal_id, OrderRow.leg == OrderLeg.ENTRY.value)
            .order_by(OrderRow.created_ms, OrderRow.id)
        )
        with self._sessions() as session:
            return [_to_order(row) for row in session.scalars(stmt)]

    def open_orders(self, mode: TradingMode | None = None) -> list[Order]:
        stmt = select(OrderRow).where(OrderRow.status.in_(_OPEN))
        if mode is not None:
            stmt = stmt.where(OrderRow.mode == mode.value)
        with self._sessions() as session:
            return [_to_order(r) for r in session.scalars(stmt.order_by(OrderRow.created_ms))]

    def with_signal(self, mode: TradingMode | None = None) -> list[Order]:
        """Every order placed for a signal (entries and exits), oldest first."""
        with self._sessions() as session:
            stmt = select(OrderRow).where(OrderRow.signal_id.is_not(None))
            if mode is not None:
                stmt = stmt.where(OrderRow.mode == mode.value)
            rows = session.scalars(stmt.order_by(OrderRow.created_ms, OrderRow.id))
            return [_to_order(r) for r in rows]

    def recent(self, limit: int = 100) -> list[Order]:
        stmt = select(OrderRow).order_by(OrderRow.created_ms.desc()).limit(limit)
        with self._sessions() as session:
            return [_to_order(r) for r in session.scalars(stmt)]


def _to_fill(r: FillRow) -> Fill:
    return Fill(
        client_order_id=r.client_order_id,
        venue=VenueId(r.venue),
        symbol=r.symbol,
        side=Side(r.side),
        price=r.price,
        qty=r.qty,
        fee=r.fee,
        fee_asset=r.fee_asset,
        liquidity=Liquidity(r.liquidity),
        trade_id=r.trade_id,
        mode=TradingMode(r.mode),
        ts_event=r.event_ms,
        ts_recv=r.recv_ms,
    )


class FillStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def add(self, fill: Fill) -> bool:
        """Record a fill once; the same (venue, trade id) seen again returns False."""
        try:
            with self._sessions.begin() as session:
                session.add(
                    FillRow(
                        client_order_id=fill.client_order_id,
                        venue=fill.venue.value,
                        symbol=fill.symbol,
                        side=fill.side.value,
                        price=fill.price,
                        qty=fill.qty,
                        fee=fill.fee,
                        fee_asset=fill.fee_asset,
                        liquidity=fill.liquidity.value,
                        trade_id=fill.trade_id,
                        mode=fill.mode.value,
                        event_ms=fill.ts_event,
                        recv_ms=fill.ts_recv,
                    )
                )
        except IntegrityError:
            return False
        return True

    def for_order(self, client_order_id: str) -> list[Fill]:
        stmt = (
            select(FillRow)
            .where(FillRow.client_order_id == client_order_id)
            .order_by(FillRow.event_ms, FillRow.id)
        )
        with self._sessions() as session:
            return [_to_fill(r) for r in session.scalars(stmt)]

    def recent(self, limit: int = 100) -> list[Fill]:
        stmt = select(FillRow).order_by(FillRow.event_ms.desc(), FillRow.id.desc()).limit(limit)
        with self._sessions() as session:
            return [_to_fill(r) for r in session.scalars(stmt)]

    @staticmethod
    def vwap(fills: Iterable[Fill]) -> Decimal | None:
        qty = Decimal(0)
        cost = Decimal(0)
        for f in fills:
            qty += f.qty
            cost += f.qty * f.price
        return cost / qty if qty else None
