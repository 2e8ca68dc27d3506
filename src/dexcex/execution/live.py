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
* is followed to a final state by REST polling (the simulator has no private
  websocket; ccxt.pro ``watch_orders`` is the natural upgrade on the real venues).

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
from typing import Any

import msgspec

from dexcex.config import Settings
from dexcex.domain import (
    Clock,
    ConfigError,
    DexcexError,
    Direction,
    Fill,
    Liquidity,
    Order,
    OrderBook,
    OrderLeg,
    OrderOutcomeUnknown,
    OrderStatus,
    OrderType,
    RateLimited,
    Rejected,
    RiskDecision,
    Side,
    Signal,
    TemporarilyUnavailable,
    TradingMode,
    VenueId,
    client_order_id_for,
    leg_of_client_id,
)
from dexcex.execution.exits import exit_reason
from dexcex.logs import get_logger, register_secrets
from dexcex.store import Database
from dexcex.venues.router import VenueRouter

__all__ = ["LiveTrade", "LiveTrader", "ReconcileReport", "live_gate"]

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


@dataclass
class LiveTrader:
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
    _spent: dict[int, Decimal] = field(default_factory=dict)  # UTC day → notional sent
    _tracking: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        live_gate(self.settings)

    # --- start ---------------------------------------------------------------------------------

    async def reconcile(self) -> ReconcileReport:
        """Bring the database in line with the venues; rebuild open positions; then ready."""
        rep = ReconcileReport()
        await self._reconcile_orders(rep)
        await self._reconcile_venues(rep)
        self._rebuild_trades()
        rep.open_trades = len(self.trades)
        for t in self.trades.values():
            have = rep.balances.get(t.venue.value, {}).get(t.symbol.split("/")[0])
            if t.direction is Direction.LONG and have is not None and have < t.qty:
                rep.warnings.append(
                    f"{t.signal_id}: position {t.qty} {t.symbol} but the {t.venue} balance is "
                    f"{have}"
                )
        self._load_spent()
        self.ready = True
        _log.info(
            "live reconciled",
            checked=rep.checked,
            updated=rep.updated,
            adopted=rep.adopted,
            missing=rep.missing,
            open_trades=rep.open_trades,
            warnings=len(rep.warnings),
        )
        for w in rep.warnings:
            _log.warning("live reconcile", detail=w)
        return rep

    async def _reconcile_orders(self, rep: ReconcileReport) -> None:
        """Every order the database left unfinished, looked up at its venue."""
        for order in await asyncio.to_thread(self.db.orders.open_orders, TradingMode.LIVE):
            rep.checked += 1
            venue = self.router.venues.get(order.venue)
            if venue is None:
                rep.warnings.append(f"{order.client_order_id}: venue {order.venue} not configured")
                continue
            try:
                found = await venue.fetch_order_by_client_id(order.client_order_id, order.symbol)
            except DexcexError as exc:
                rep.warnings.append(f"{order.client_order_id}: lookup failed ({exc})")
                self._track(order)  # keep asking; it is not forgotten
                continue
            if found is None:
                if order.status is OrderStatus.CREATED or self._lookup_expired(order):
                    rep.missing += 1
                    await self._save(
                        _replace(
                            order,
                            status=OrderStatus.FAILED,
                            error="not at the venue on restart: never placed",
                            ts_updated=self.clock.now_ms(),
                        )
                    )
                else:
                    self._track(order)
                continue
            merged = self._merge(order, found)
            if merged != order:
                rep.updated += 1
                await self._save(merged, before=order)
            if not merged.status.is_final:
                self._track(merged)

    async def _reconcile_venues(self, rep: ReconcileReport) -> None:
        """Balances, and orders of ours open at a venue that the database does not know."""
        db = self.db
        known = {o.client_order_id for o in await asyncio.to_thread(db.orders.recent, 10_000)}
        for vid, venue in self.router.venues.items():
            try:
                at_venue = await venue.open_orders()
                balances = await venue.fetch_balance()
            except DexcexError as exc:
                rep.warnings.append(f"{vid}: could not list open orders / balances ({exc})")
                continue
            rep.balances[vid.value] = {a: b.total for a, b in balances.items()}
            for o in at_venue:
                leg = leg_of_client_id(o.client_order_id)
                if leg is not None and o.client_order_id not in known:
                    rep.adopted += 1
                    adopted = _replace(
                        o, leg=leg, note="found open at the venue on restart: adopted"
                    )
                    await asyncio.to_thread(db.orders.add, adopted)
                    self._track(adopted)

    def _rebuild_trades(self) -> None:
        by_signal: dict[str, list[Order]] = {}
        for o in self.db.orders.with_signal(TradingMode.LIVE):
            if o.signal_id is not None:
                by_signal.setdefault(o.signal_id, []).append(o)
        self.trades.clear()
        for sid, orders in by_signal.items():
            entries = [o for o in orders if o.leg is OrderLeg.ENTRY]
            exits = [o for o in orders if o.leg is OrderLeg.EXIT]
            entry = next((o for o in entries if o.filled_qty > 0), None)
            if entry is None or entry.avg_price is None:
                continue
            left = entry.filled_qty - sum((o.filled_qty for o in exits), Decimal(0))
            if left <= 0:
                continue
            row = self.db.signals.get(sid)
            if row is None:
                continue
            direction = Direction.LONG if entry.side is Side.BUY else Direction.SHORT
            self.trades[(row["asset_id"], row["origin"])] = LiveTrade(
                sid,
                row["asset_id"],
                row["origin"],
                direction,
                entry.venue,
                entry.symbol,
                left,
                entry.avg_price,
                entry.ts_updated or entry.ts_created,
                exits=len(exits),
                exiting=any(not o.status.is_final for o in exits),
            )

    def _load_spent(self) -> None:
        day = self.clock.now_ms() // _DAY_MS
        spent = Decimal(0)
        for o in self.db.orders.with_signal(TradingMode.LIVE):
            if o.ts_created // _DAY_MS == day and o.leg is OrderLeg.ENTRY:
                spent += _notional(o)
        self._spent = {day: spent}

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

    async def submit(self, signal: Signal, decision: RiskDecision) -> Order | None:
        """Place the entry of an approved signal (None when ``refusal`` says no)."""
        why = self.refusal(signal, decision)
        if why is not None:
            _log.info("live signal not traded", signal=signal.id, reason=why)
            return None
        day = self.clock.now_ms() // _DAY_MS
        reserved = Decimal(str(decision.notional_quote))
        # held while the order is on the wire, so concurrent signals cannot overrun the cap
        self._spent[day] = self._spent.get(day, Decimal(0)) + reserved
        qty = Decimal(str(decision.size_base)).quantize(_Q)
        # (if _place raises, the reservation stays: we cannot tell what was sent — unless
        # the intent was refused by the database, when nothing was)
        try:
            order = await self._place(
                signal.id, OrderLeg.ENTRY, signal.direction.entry_side, signal.symbol, qty, "signal"
            )
        except Rejected as exc:
            if exc.reason == "duplicate_client_order_id":
                self._spent[day] -= reserved
            raise
        # what counts is what the venue filled (the same figure a restart rebuilds)
        if order.filled_qty > 0 or order.status.is_final:
            self._spent[day] += _notional(order) - reserved
        if order.filled_qty > 0 and order.avg_price is not None:
            self._open(signal, order)
        elif not order.status.is_final:
            self._track(order, signal)
        return order

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
        if order.filled_qty > 0:
            trade.qty -= order.filled_qty
        if trade.qty <= 0:
            self.trades.pop((trade.asset_id, trade.origin), None)
        elif order.status.is_final:
            trade.exiting = False  # partly closed or refused: the next book tries again
        else:
            self._track(order)
        return order

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
            try:
                gone = await venue.cancel_order(order.client_order_id, order.symbol)
            except DexcexError as exc:
                _log.error(
                    "kill switch: cancel failed", order=order.client_order_id, error=str(exc)
                )
                continue
            merged = self._merge(order, gone)
            await self._save(merged, before=order)
            out.append(merged)
        return out

    # --- placing one order ---------------------------------------------------------------------

    async def _place(
        self,
        signal_id: str,
        leg: OrderLeg,
        side: Side,
        symbol: str,
        qty: Decimal,
        reason: str,
        *,
        attempt: int = 0,
        venue: VenueId | None = None,
        note: str | None = None,
    ) -> Order:
        target = venue or self.router.active
        if venue is None and target is not self.router.primary:
            note = f"routed to {target}: {self.router.primary} unhealthy"
        cid = client_order_id_for(signal_id, leg, attempt)
        existing = await asyncio.to_thread(self.db.orders.get, cid)
        if existing is not None:
            # This intent was stored (and maybe sent) before: its answer is that order.
            return existing
        now = self.clock.now_ms()
        order = Order(
            cid,
            target,
            symbol,
            side,
            OrderType.MARKET,
            qty,
            None,
            OrderStatus.CREATED,
            TradingMode.LIVE,
            now,
            signal_id=signal_id,
            note=note,
            leg=leg,
        )
        await asyncio.to_thread(self.db.orders.add, order)  # stored before it is sent
        self._emit(order)
        v = self.router.venues[target]
        try:
            placed = await v.create_order(cid, symbol, side, OrderType.MARKET, qty)
        except OrderOutcomeUnknown as exc:
            self.router.record(target, ok=False)
            sent = _replace(
                order,
                status=OrderStatus.SENT,
                ts_sent=now,
                error=f"answer lost ({exc}); looking it up by client order id",
            )
            await self._save(sent, before=order)
            return sent
        except (TemporarilyUnavailable, RateLimited, Rejected) as exc:
            venue_side = not isinstance(exc, Rejected) or exc.reason in _VENUE_REASONS
            self.router.record(target, ok=not venue_side)
            backup = self._backup_for(target, symbol) if venue is None and venue_side else None
            status = OrderStatus.REJECTED if isinstance(exc, Rejected) else OrderStatus.FAILED
            failed = _replace(
                order,
                status=status,
                error=str(exc),
                ts_updated=self.clock.now_ms(),
                note=f"failed over to {backup}" if backup else order.note,
            )
            await self._save(failed, before=order)
            if backup is None:
                _log.warning("live order refused", order=cid, venue=target, error=str(exc))
                return failed
            _log.warning("live order failover", order=cid, frm=target, to=backup, error=str(exc))
            return await self._place(
                signal_id,
                leg,
                side,
                symbol,
                qty,
                reason,
                attempt=attempt + 1,
                venue=backup,
                note=f"failover from {target}: {exc}",
            )
        except DexcexError as exc:
            # Anything else (refused credentials, an answer we could not read …): the
            # order may or may not exist, so it is followed by its id, never re-sent.
            self.router.record(target, ok=False)
            _log.error("live order: unexpected answer", order=cid, venue=target, error=str(exc))
            sent = _replace(
                order, status=OrderStatus.SENT, ts_sent=now, error=f"unexpected answer: {exc}"
            )
            await self._save(sent, before=order)
            return sent
        self.router.record(target, ok=True)
        merged = self._merge(order, placed)
        await self._save(merged, before=order)
        _log.info(
            "live order",
            order=cid,
            venue=target,
            status=merged.status.value,
            filled=str(merged.filled_qty),
            reason=reason,
        )
        return merged

    def _backup_for(self, failed: VenueId, symbol: str) -> VenueId | None:
        """The other venue, if it is healthy and trades this market."""
        for vid, v in self.router.venues.items():
            if vid is failed or self.router.problem(vid) is not None:
                continue
            if not self.settings.venues.get(vid).has_keys:
                continue
            if symbol in getattr(v, "rules", {}):
                return vid
        return None

    # --- following an order to its final state ------------------------------------------------

    def _track(self, order: Order, signal: Signal | None = None) -> None:
        task = asyncio.get_running_loop().create_task(self._follow(order, signal))
        self._tracking.add(task)
        task.add_done_callback(self._tracking.discard)

    async def _follow(self, order: Order, signal: Signal | None) -> None:
        venue = self.router.venues[order.venue]
        current = order
        while not current.status.is_final:
            await asyncio.sleep(self.poll_s)
            try:
                found = await venue.fetch_order_by_client_id(current.client_order_id, order.symbol)
            except RateLimited as exc:  # asking again sooner only prolongs it (a ban)
                await asyncio.sleep(min(exc.retry_after_s or 0.0, _MAX_BACKOFF_S))
                continue
            except DexcexError:
                continue
            if found is None:
                if self._lookup_expired(current):
                    failed = _replace(
                        current,
                        status=OrderStatus.FAILED,
                        error="never showed at the venue: not placed",
                        ts_updated=self.clock.now_ms(),
                    )
                    await self._save(failed, before=current)
                    return
                continue
            merged = self._merge(current, found)
            if merged != current:
                await self._save(merged, before=current)
                current = merged
        if signal is not None and current.filled_qty > 0 and current.avg_price is not None:
            self._open(signal, current)

    def _lookup_expired(self, order: Order) -> bool:
        since = order.ts_sent or order.ts_created
        return self.clock.now_ms() - since > self.lookup_window_s * 1000

    async def wait_tracked(self) -> None:
        """Until every order being followed has reached a final state (tests, shutdown)."""
        while self._tracking:
            await asyncio.gather(*list(self._tracking), return_exceptions=True)

    async def stop(self) -> None:
        for t in list(self._tracking):
            t.cancel()
        await asyncio.gather(*list(self._tracking), return_exceptions=True)

    # --- bookkeeping ---------------------------------------------------------------------------

    def _merge(self, ours: Order, venue: Order) -> Order:
        """Our record updated with the venue's view of the order (ids and notes stay ours)."""
        return _replace(
            ours,
            status=venue.status,
            venue_order_id=venue.venue_order_id or ours.venue_order_id,
            filled_qty=venue.filled_qty,
            avg_price=venue.avg_price,
            fee_quote=venue.fee_quote,
            ts_sent=ours.ts_sent or venue.ts_sent,
            ts_ack=ours.ts_ack or venue.ts_ack,
            ts_updated=venue.ts_updated or self.clock.now_ms(),
            error=venue.error if venue.status.is_final else ours.error,
        )

    async def _save(self, order: Order, *, before: Order | None = None) -> None:
        fill = await asyncio.to_thread(self._write, order, before)
        if fill is not None and self.on_fill is not None and order.signal_id is not None:
            self.on_fill(fill, order.signal_id)
        self._emit(order)

    def _write(self, order: Order, before: Order | None) -> Fill | None:
        self.db.orders.save(order)
        fill = _fill_delta(before, order)
        if fill is not None:
            self.db.fills.add(fill)
        if (
            order.leg is OrderLeg.ENTRY
            and order.signal_id is not None
            and order.filled_qty > 0
            and order.status.is_final
        ):
            self.db.signals.record_execution(
                order.signal_id,
                ts_ms=order.ts_updated or order.ts_created,
                order_client_id=order.client_order_id,
                fill_price=order.avg_price,
                filled_qty=order.filled_qty,
                fees_quote=order.fee_quote,
                realized_slippage_bps=None,
                lat_dex_to_signal_ms=None,
                lat_signal_to_order_ms=(order.ts_sent or order.ts_created) - order.ts_created,
                lat_order_to_ack_ms=(
                    order.ts_ack - order.ts_sent if order.ts_ack and order.ts_sent else None
                ),
            )
        return fill

    def _emit(self, order: Order) -> None:
        if self.on_order is not None:
            self.on_order(order)


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
