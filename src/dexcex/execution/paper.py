"""Paper trading that a trader can believe: fills from the real book, at the real time.

A signal the risk layer approved becomes a market order (IOC) for the decided size. It
*arrives* at the venue ``latency_ms`` (+ ``latency_stress_ms``) after the signal, and is
filled by walking the first book of that venue and market at or after the arrival time,
level by level — a partial fill when the depth runs out, the rest cancelled — paying the
venue's taker fee (× ``fee_stress``). The realized slippage is the average fill against
the mid at signal time, in the trade's direction.

Each open position is then watched on every book of its market: take-profit, stop-loss
(both on the mid, in bps from the entry price) or the time exit send a closing order,
which arrives and fills the same way. One position per asset and signal origin (DEX
signals and the CEX-only baseline trade separately, so they can be compared).

Pure: books and signals in, orders and fills out through ``sink``; the clock is given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import msgspec

from dexcex.config.models import ExecutionSettings
from dexcex.domain import (
    Clock,
    Fill,
    Liquidity,
    Order,
    OrderBook,
    OrderLeg,
    OrderStatus,
    OrderType,
    RiskDecision,
    Side,
    Signal,
    TradingMode,
    VenueId,
    client_order_id_for,
)
from dexcex.execution.exits import exit_reason
from dexcex.execution.positions import PositionBook

__all__ = ["Execution", "PaperBroker", "walk_fills"]

_Q = Decimal("0.00000001")


def walk_fills(book: OrderBook, side: Side, qty: Decimal) -> list[tuple[Decimal, Decimal]]:
    """(price, qty) per level a market order of ``qty`` takes: asks for a buy, bids for a
    sell; shorter than ``qty`` in total when the book runs out."""
    out: list[tuple[Decimal, Decimal]] = []
    left = qty
    for lv in book.asks if side is Side.BUY else book.bids:
        if left <= 0:
            break
        size = Decimal(str(lv.size))
        take = size if size < left else left
        out.append((Decimal(str(lv.price)), take))
        left -= take
    return out


class Execution(msgspec.Struct, frozen=True):
    """What happened to a signal's trade leg: for the signal's execution columns."""

    signal_id: str
    leg: OrderLeg
    order: Order
    fills: tuple[Fill, ...]
    realized_slippage_bps: float | None
    reason: str  # why the order was sent (signal, take profit, stop loss, time exit)
    dex_to_signal_ms: int | None = None  # the triggering DEX event → the signal


@dataclass
class _Pending:
    order: Order
    arrive_ms: int
    signal: Signal
    leg: OrderLeg
    reason: str
    mid_at_decision: float | None


@dataclass
class _Trade:
    signal: Signal
    entry: Order | None = None
    exiting: bool = False
    opened_ms: int = 0
    exits: int = 0  # exit orders sent so far (each a new client order id)


@dataclass
class PaperBroker:
    p: ExecutionSettings
    taker_fee_bps: dict[VenueId, float]
    clock: Clock
    sink: Callable[[Execution], None]
    positions: PositionBook = field(default_factory=PositionBook)
    _pending: list[_Pending] = field(default_factory=list)
    _trades: dict[tuple[str, str], _Trade] = field(default_factory=dict)
    fills: int = 0
    skipped: int = 0

    @property
    def latency_ms(self) -> int:
        return self.p.latency_ms + self.p.latency_stress_ms

    # --- entries -------------------------------------------------------------------------------

    def refusal(self, signal: Signal, decision: RiskDecision) -> str | None:
        """Why this signal will not be traded (None: it will be)."""
        if not decision.approved:
            return "rejected by risk"
        if not signal.executable:
            return signal.status_reason or "not executable"
        if Decimal(str(decision.size_base)).quantize(_Q) <= 0:
            return "size rounds to zero"
        if (signal.asset_id, signal.origin) in self._trades:
            return "a position in this asset is already open"
        return None

    def submit(self, signal: Signal, decision: RiskDecision, *, attempt: int = 0) -> Order | None:
        """Send the entry of an approved, executable signal (None if ``refusal`` says no);
        ``attempt``: the earlier entries of this signal, each ended unfilled."""
        if self.refusal(signal, decision) is not None:
            self.skipped += 1
            return None
        key = (signal.asset_id, signal.origin)
        now = self.clock.now_ms()
        side = signal.direction.entry_side
        qty = Decimal(str(decision.size_base)).quantize(_Q)
        order = Order(
            client_order_id_for(signal.id, OrderLeg.ENTRY, attempt),
            signal.venue,
            signal.symbol,
            side,
            OrderType.MARKET,
            qty,
            None,
            OrderStatus.SENT,
            TradingMode.PAPER,
            now,
            signal_id=signal.id,
            ts_sent=now,
            leg=OrderLeg.ENTRY,
        )
        mid = signal.cex.mid if signal.cex else None
        self._pending.append(
            _Pending(order, now + self.latency_ms, signal, OrderLeg.ENTRY, "signal", mid)
        )
        self._trades[key] = _Trade(signal)
        return order

    def withdraw(self, order: Order) -> bool:
        """Take back an entry that has not reached a book (its intent could not be
        stored): as if never sent. False when it was already filled."""
        for x in self._pending:
            if x.order.client_order_id == order.client_order_id:
                self._pending.remove(x)
                self._trades.pop((x.signal.asset_id, x.signal.origin), None)
                return True
        return False

    # --- the market moves ----------------------------------------------------------------------

    def on_book(self, book: OrderBook) -> None:
        """Fill what has arrived at this market; check exits of positions in it."""
        if self._pending:
            due = [
                x
                for x in self._pending
                if x.order.venue is book.venue
                and x.order.symbol == book.symbol
                and x.arrive_ms <= book.ts_event
            ]
            for x in due:
                self._pending.remove(x)
                self._fill(x, book)
        if self._trades:
            self._check_exits(book)

    def _walk(self, o: Order, book: OrderBook) -> list[Fill]:
        """The fills of ``o`` walking ``book`` from the touch, taker fee on each."""
        fee_rate = Decimal(str(self.taker_fee_bps.get(o.venue, 10.0) * self.p.fee_stress / 1e4))
        return [
            Fill(
                o.client_order_id,
                o.venue,
                o.symbol,
                o.side,
                price,
                q,
                (price * q * fee_rate).quantize(_Q),
                "USDT",
                Liquidity.TAKER,
                f"{o.client_order_id}-{i}",
                TradingMode.PAPER,
                book.ts_event,
                book.ts_event,
            )
            for i, (price, q) in enumerate(walk_fills(book, o.side, o.qty))
        ]

    def _fill(self, x: _Pending, book: OrderBook) -> None:
        o = x.order
        fill_objs = self._walk(o, book)
        filled = sum((f.qty for f in fill_objs), Decimal(0))
        cost = sum((f.price * f.qty for f in fill_objs), Decimal(0))
        fee_total = sum((f.fee for f in fill_objs), Decimal(0))
        avg = (cost / filled).quantize(_Q) if filled > 0 else None
        if filled == o.qty:
            status, error = OrderStatus.FILLED, None
        elif filled > 0:
            status, error = OrderStatus.CANCELED, "partial fill: the book's depth ran out"
        else:
            status, error = OrderStatus.CANCELED, "no liquidity on that side of the book"
        done = msgspec.structs.replace(
            o,
            status=status,
            filled_qty=filled,
            avg_price=avg,
            fee_quote=fee_total,
            ts_ack=x.arrive_ms,
            ts_updated=book.ts_event,
            error=error,
        )
        sign = 1.0 if o.side is Side.BUY else -1.0
        slip = (
            sign * (float(avg) / x.mid_at_decision - 1.0) * 1e4
            if avg is not None and x.mid_at_decision
            else None
        )
        key = (x.signal.asset_id, x.signal.origin)
        trade = self._trades.get(key)
        pos = self.positions.get(*key)
        for f in fill_objs:
            pos.apply(f.side, f.qty, f.price, f.fee, f.ts_event)
        self.fills += len(fill_objs)
        if trade is not None:
            if x.leg is OrderLeg.ENTRY:
                trade.entry = done
                trade.opened_ms = book.ts_event
                if filled == 0:
                    del self._trades[key]
            elif pos.qty == 0:
                del self._trades[key]
            else:
                trade.exiting = False  # partly closed: try again on a later book
        if pos.qty != 0 and pos.signal_id is None:
            pos.signal_id = x.signal.id
        if pos.qty == 0:
            pos.signal_id = None
        made = x.signal.ts if x.signal.ts_wall is None else x.signal.ts_wall  # measured live
        lag = made - x.signal.trigger_ts_event
        self.sink(Execution(x.signal.id, x.leg, done, tuple(fill_objs), slip, x.reason, lag))

    # --- exits ---------------------------------------------------------------------------------

    def _check_exits(self, book: OrderBook) -> None:
        mid = book.mid
        if mid is None:
            return
        for (asset, origin), trade in list(self._trades.items()):
            s = trade.signal
            if trade.exiting or trade.entry is None or s.venue is not book.venue:
                continue
            if s.symbol != book.symbol:
                continue
            pos = self.positions.get(asset, origin)
            if pos.qty == 0 or pos.avg_price <= 0:
                continue
            age_s = (book.ts_event - trade.opened_ms) / 1000
            reason = exit_reason(self.p, s.direction, float(pos.avg_price), mid, age_s)
            if reason is None:
                continue
            self._exit(trade, abs(pos.qty), reason, mid, book.ts_event)

    def _exit(self, trade: _Trade, qty: Decimal, reason: str, mid: float | None, now: int) -> None:
        s = trade.signal
        order = Order(
            client_order_id_for(s.id, OrderLeg.EXIT, trade.exits),
            s.venue,
            s.symbol,
            s.direction.entry_side.opposite,
            OrderType.MARKET,
            qty,
            None,
            OrderStatus.SENT,
            TradingMode.PAPER,
            now,
            signal_id=s.id,
            ts_sent=now,
            leg=OrderLeg.EXIT,
        )
        trade.exiting = True
        trade.exits += 1
        self._pending.append(_Pending(order, now + self.latency_ms, s, OrderLeg.EXIT, reason, mid))

    def open_trades(self) -> int:
        return len(self._trades)

    # --- the kill switch -----------------------------------------------------------------------

    def cancel_entries(self, now_ms: int, why: str) -> list[Order]:
        """Entries sent but not yet at the venue: cancelled (their trades never open)."""
        out = []
        for x in [x for x in self._pending if x.leg is OrderLeg.ENTRY]:
            self._pending.remove(x)
            self._trades.pop((x.signal.asset_id, x.signal.origin), None)
            done = msgspec.structs.replace(
                x.order, status=OrderStatus.CANCELED, error=why, ts_updated=now_ms
            )
            self.sink(Execution(x.signal.id, x.leg, done, (), None, why))
            out.append(done)
        return out

    def close_one(self, asset_id: str, origin: str, now_ms: int, why: str) -> Order | None:
        """Send the closing order of one open position (None: none open, or closing)."""
        trade = self._trades.get((asset_id, origin))
        pos = self.positions.get(asset_id, origin)
        if trade is None or trade.exiting or trade.entry is None or pos.qty == 0:
            return None
        self._exit(trade, abs(pos.qty), why, None, now_ms)
        return self._pending[-1].order

    def flatten(self, now_ms: int, why: str) -> int:
        """Send the closing order of every open position not already closing."""
        n = 0
        for (asset, origin), trade in list(self._trades.items()):
            pos = self.positions.get(asset, origin)
            if trade.exiting or trade.entry is None or pos.qty == 0:
                continue
            self._exit(trade, abs(pos.qty), why, None, now_ms)
            n += 1
        return n
