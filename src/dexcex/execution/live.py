"""Live trading: real orders, guarded so that none is ever placed by surprise or twice.

Off unless ``live.enabled = true`` *and* the primary venue has API keys (``live_gate``).
Before the first signal, ``reconcile`` brings the database in line with the venues:
every order it left unfinished is looked up by client order id, orders of ours found at a
venue but not in the database are adopted, balances are read, and the positions still
open are rebuilt — only then does ``submit`` accept signals.

Every order:

* has a client order id derived from the signal id and leg (``dxe0…`` entry, ``dxx0…``
  exits), so the same intent always maps to the same id;
* is **stored before it is sent** (status ``created``), then updated with what the venue
  said;
* goes to the router's active venue (MEXC, Bybit when MEXC is unhealthy). When the
  venue refuses it without placing it — down, 5xx, rate-limited, or a rejection for a
  venue reason — and the backup is healthy, it is re-sent to the backup under the next
  attempt's id; both records carry a ``note`` saying so;
* whose answer was lost (timeout after the request left) is **never re-sent**: the
  adapter looks it up by client order id; if it still cannot tell, the order stays
  ``sent`` and is polled by its id until the venue shows it in a final state or a
  generous window passes (then ``failed``: not at the venue);
* is answered at the venue's acknowledgement (accepted, with its ids) and followed to
  its final state by REST polling, which stores and shows its fill (the simulator has no
  private websocket; ccxt.pro ``watch_orders`` is the natural upgrade on the real
  venues). A click does not wait out MEXC's -2013 after a create.

Caps: an order over ``max_order_notional_usd`` is refused, and so is one that would take
the UTC day's sent notional over ``max_daily_notional_usd``. The kill switch refuses
every new order and cancels the open ones (positions are left for the trader to close).
Exits follow the same take-profit / stop-loss / time rule as paper positions, on the
venue where the entry filled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from dexcex.config import Settings
from dexcex.domain import (
    Clock,
    DexcexError,
    Fill,
    NotFound,
    NotSent,
    Order,
    OrderBook,
    OrderLeg,
    OrderStatus,
    Rejected,
    RiskDecision,
    Signal,
    TradingMode,
)
from dexcex.execution.exits import exit_reason
from dexcex.execution.live_reconcile import Reconciling
from dexcex.execution.live_records import (
    _DAY_MS,
    _Q,
    LiveTrade,
    ReconcileReport,
    _log,
    _notional,
    live_gate,
)
from dexcex.store import Database
from dexcex.venues.ccxt_venue import CcxtVenue
from dexcex.venues.router import VenueRouter

_CANCEL_DELAYS_S = (0.0, 0.2, 0.5, 1.0, 2.0)  # a fresh order may not be visible yet

__all__ = ["LiveTrade", "LiveTrader", "ReconcileReport", "live_gate"]


@dataclass
class LiveTrader(Reconciling):
    settings: Settings
    router: VenueRouter
    db: Database
    clock: Clock
    poll_s: float = 0.5
    lookup_window_s: float = 60.0  # how long an unanswered order is looked for
    on_order: Callable[[Order], None] | None = None
    on_fill: Callable[[Fill, str], None] | None = None  # each fill, with its signal id
    ready: bool = False
    kill_switch: bool = False
    trades: dict[tuple[str, str], LiveTrade] = field(default_factory=dict)
    # venue → asset → total, as each venue last said (at reconciliation, after each fill)
    balances: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    _spent: dict[int, Decimal] = field(default_factory=dict)  # UTC day → notional sent
    _tracking: set[asyncio.Task[None]] = field(default_factory=set)
    _following: set[str] = field(default_factory=set)
    # (asset, origin) → signal of an entry sent and not ended yet: a second signal of the
    # asset must not enter beside it before its fill opens the trade. An entry whose
    # outcome is unknown (the venue's answer lost) keeps its asset here until a restart
    # reconciles: no second position on a guess.
    _entering: dict[tuple[str, str], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        live_gate(self.settings)

    # --- entries -------------------------------------------------------------------------------

    def refusal(self, signal: Signal, decision: RiskDecision) -> str | None:
        """Why this signal will not be traded live (None: it will be)."""
        if not self.ready:
            return "live trading is reconciling with the venues"
        if self.kill_switch:
            return "kill switch on"
        if not decision.approved:
            return "rejected by risk"
        if not signal.executable:
            return signal.status_reason or "not executable"
        if (signal.asset_id, signal.origin) in self.trades:
            return "a position in this asset is already open"
        if (signal.asset_id, signal.origin) in self._entering:
            return "an entry in this asset is on its way"
        cap = Decimal(str(self.settings.live.max_order_notional_usd))
        notional = Decimal(str(decision.notional_quote))
        if notional > cap:
            return f"order notional {notional:.2f} over the per-order cap {cap:.2f}"
        day = self.clock.now_ms() // _DAY_MS
        spent = self._spent.get(day, Decimal(0))
        day_cap = Decimal(str(self.settings.live.max_daily_notional_usd))
        if spent + notional > day_cap:
            return f"daily cap: {spent:.2f} sent today + {notional:.2f} > {day_cap:.2f}"
        if Decimal(str(decision.size_base)).quantize(_Q) <= 0:
            return "size rounds to zero"
        return None

    async def submit(
        self, signal: Signal, decision: RiskDecision, *, attempt: int = 0
    ) -> Order | None:
        """Place the entry of an approved signal (None when ``refusal`` says no); a
        failover takes the attempt after ``attempt``."""
        why = self.refusal(signal, decision)
        if why is not None:
            _log.info("live signal not traded", signal=signal.id, reason=why)
            return None
        day = self.clock.now_ms() // _DAY_MS
        reserved = Decimal(str(decision.notional_quote))
        # held while the order is on the wire, so concurrent signals cannot overrun the cap
        self._spent[day] = self._spent.get(day, Decimal(0)) + reserved
        qty = Decimal(str(decision.size_base)).quantize(_Q)
        key = (signal.asset_id, signal.origin)
        self._entering[key] = signal.id
        # (if _place raises, the reservation stays: we cannot tell what was sent — unless
        # nothing was: a refused intent, or another process's intent under this id)
        try:
            order = await self._place(
                signal.id,
                OrderLeg.ENTRY,
                signal.direction.entry_side,
                signal.symbol,
                qty,
                "signal",
                attempt=attempt,
            )
        except NotSent:
            self._spent[day] -= reserved
            self._entering.pop(key, None)
            raise
        except Rejected as exc:
            self._entering.pop(key, None)  # the venue refused it: nothing entered
            if exc.reason == "duplicate_client_order_id":
                self._spent[day] -= reserved
            raise
        # answered at the acknowledgement: the follower brings the fill, then the trade
        if order.status.is_final:
            self._entry_ended(signal, order, day, reserved)
        else:
            self._track(order, lambda o: self._entry_ended(signal, o, day, reserved))
        return order

    def _entry_ended(self, signal: Signal, order: Order, day: int, reserved: Decimal) -> None:
        """An entry in its final state: the day's notional is what the venue filled (the
        same figure a restart rebuilds), and a fill opens the signal's trade."""
        self._spent[day] = self._spent.get(day, Decimal(0)) + _notional(order) - reserved
        if self._entering.get((signal.asset_id, signal.origin)) == signal.id:
            del self._entering[(signal.asset_id, signal.origin)]
        if order.filled_qty > 0 and order.avg_price is not None:
            self._open(signal, order)

    def _open(self, signal: Signal, order: Order) -> None:
        assert order.avg_price is not None
        self.trades[(signal.asset_id, signal.origin)] = LiveTrade(
            signal.id,
            signal.asset_id,
            signal.origin,
            signal.direction,
            order.venue,
            order.symbol,
            order.filled_qty,
            order.avg_price,
            order.ts_updated or self.clock.now_ms(),
        )

    # --- exits ---------------------------------------------------------------------------------

    def due_exits(self, book: OrderBook) -> list[tuple[LiveTrade, str]]:
        """Open positions in this book's market that the exit rule says to close now."""
        mid = book.mid
        if mid is None or not self.trades:
            return []
        out = []
        for t in self.trades.values():
            if t.exiting or t.venue is not book.venue or t.symbol != book.symbol:
                continue
            age_s = (book.ts_event - t.opened_ms) / 1000
            why = exit_reason(
                self.settings.execution, t.direction, float(t.entry_price), mid, age_s
            )
            if why is not None:
                out.append((t, why))
        return out

    async def close(self, trade: LiveTrade, reason: str) -> Order:
        """Send the closing order of ``trade`` to the venue its entry filled on."""
        trade.exiting = True
        side = trade.direction.entry_side.opposite
        try:
            order = await self._place(
                trade.signal_id,
                OrderLeg.EXIT,
                side,
                trade.symbol,
                trade.qty,
                reason,
                attempt=trade.exits,
                venue=trade.venue,
            )
        finally:
            trade.exits += 1
        if order.status.is_final:
            self._exit_ended(trade, order)
        else:  # the follower brings its fill, then the trade is closed (or tried again)
            self._track(order, lambda o: self._exit_ended(trade, o))
        return order

    def _exit_ended(self, trade: LiveTrade, order: Order) -> None:
        """A closing order in its final state: what it filled is no longer held."""
        if order.filled_qty > 0:
            trade.qty -= order.filled_qty
        if trade.qty <= 0:
            self.trades.pop((trade.asset_id, trade.origin), None)
        else:
            trade.exiting = False  # partly closed or refused: the next book tries again

    # --- the kill switch -----------------------------------------------------------------------

    async def kill(self) -> list[Order]:
        """Refuse every new order from now on and cancel the open ones."""
        self.kill_switch = True
        _log.warning("kill switch on: cancelling open orders")
        out: list[Order] = []
        for order in await asyncio.to_thread(self.db.orders.open_orders, TradingMode.LIVE):
            venue = self.router.venues.get(order.venue)
            if venue is None or order.status is OrderStatus.CREATED:
                continue
            gone = await self._cancel(venue, order)
            if gone is None:
                continue
            merged = self._merge(order, gone)
            await self._save(merged, before=order)
            out.append(merged)
        return out

    async def _cancel(self, venue: CcxtVenue, order: Order) -> Order | None:
        """Cancel ``order`` at its venue. "No such order" right after a create is the venue
        not showing it yet (MEXC -2013): asked again, a few times, before giving up."""
        for delay in _CANCEL_DELAYS_S:
            await asyncio.sleep(delay)
            try:
                return await venue.cancel_order(order.client_order_id, order.symbol)
            except NotFound as exc:
                last: DexcexError = exc
            except DexcexError as exc:
                last = exc
                break
        _log.error("kill switch: cancel failed", order=order.client_order_id, error=str(last))
        return None
