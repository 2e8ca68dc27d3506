"""Placing one live order and following it to its final state: stored before it is
sent, failed over only when the venue refused it without placing it, never re-sent when
its answer was lost (looked up by client order id instead), every state saved with the
fill it implies.

An order is answered at the venue's acknowledgement (accepted, with its ids): its fill
state comes afterwards from the follower (``_track``), which stores and shows each state
as it does for a resting order — a click does not wait for a market order's fill."""

from __future__ import annotations

import asyncio
from abc import ABC
from collections.abc import Callable
from decimal import Decimal

from dexcex.config import Settings
from dexcex.domain import (
    Clock,
    DexcexError,
    Fill,
    NotSent,
    Order,
    OrderLeg,
    OrderOutcomeUnknown,
    OrderStatus,
    OrderType,
    RateLimited,
    Rejected,
    Side,
    TemporarilyUnavailable,
    TradingMode,
    VenueId,
    client_order_id_for,
)
from dexcex.execution.live_records import (
    _MAX_BACKOFF_S,
    _VENUE_REASONS,
    LiveTrade,
    _fill_delta,
    _log,
    _replace,
)
from dexcex.store import Database
from dexcex.venues.router import VenueRouter

__all__ = ["OrderKeeping"]


class OrderKeeping(ABC):
    # what the trader holds (``execution.live.LiveTrader``'s fields)
    settings: Settings
    router: VenueRouter
    db: Database
    clock: Clock
    poll_s: float
    lookup_window_s: float
    on_order: Callable[[Order], None] | None
    on_fill: Callable[[Fill, str], None] | None
    ready: bool
    kill_switch: bool
    trades: dict[tuple[str, str], LiveTrade]
    balances: dict[str, dict[str, Decimal]]
    _spent: dict[int, Decimal]
    _tracking: set[asyncio.Task[None]]
    _following: set[str]  # client order ids being followed: one follower each

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
        try:
            order, new = await self._intent(cid, target, symbol, side, qty, signal_id, note, leg)
        except Rejected:
            raise  # another process stored this intent first: its order is the answer
        except Exception as exc:
            raise NotSent(f"{cid}: the intent could not be stored, so not sent: {exc}") from exc
        if not new:  # this intent was stored (and maybe sent) before: its answer is that order
            return order
        if leg is OrderLeg.ENTRY and self.kill_switch:
            return await self._unsent(order, "kill switch on")  # came while it was stored
        v = self.router.venues[target]
        try:
            # answered at the acknowledgement: the fill state comes from the follower
            placed = await v.create_order(cid, symbol, side, OrderType.MARKET, qty, read_fill=False)
        except OrderOutcomeUnknown as exc:
            why = f"answer lost ({exc}); looking it up by client order id"
            return await self._unknown(order, why)
        except (TemporarilyUnavailable, RateLimited, Rejected) as exc:
            failed, backup = await self._refused(order, exc, may_fail_over=venue is None)
            if backup is None:
                return failed
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
            _log.error("live order: unexpected answer", order=cid, venue=target, error=str(exc))
            return await self._unknown(order, f"unexpected answer: {exc}")
        return await self._accepted(order, placed, reason)

    async def _accepted(self, order: Order, placed: Order, reason: str) -> Order:
        """The venue took the order: its answer merged and stored."""
        self.router.record(order.venue, ok=True)
        merged = self._merge(order, placed)
        if not await self._kept(merged, before=order):
            # placed, but the database did not take it: followed by its id from what was
            # stored, so the next answer is saved with its fill (never sent again)
            return _replace(order, status=OrderStatus.SENT, ts_sent=order.ts_created)
        _log.info(
            "live order",
            order=order.client_order_id,
            venue=order.venue,
            status=merged.status.value,
            filled=str(merged.filled_qty),
            reason=reason,
        )
        return merged

    async def _unknown(self, order: Order, why: str) -> Order:
        """Sent, outcome unknown: followed by its client order id, never sent again."""
        self.router.record(order.venue, ok=False)
        sent = _replace(order, status=OrderStatus.SENT, ts_sent=order.ts_created, error=why)
        await self._kept(sent, before=order)  # unsaved, it is followed all the same
        return sent

    async def _intent(
        self,
        cid: str,
        target: VenueId,
        symbol: str,
        side: Side,
        qty: Decimal,
        signal_id: str,
        note: str | None,
        leg: OrderLeg,
    ) -> tuple[Order, bool]:
        """The order as intended, stored before anything is sent — or the one an earlier
        attempt stored under this id (False: not new)."""
        existing = await asyncio.to_thread(self.db.orders.get, cid)
        if existing is not None:
            return existing, False
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
        await asyncio.to_thread(self.db.orders.add, order)
        self._emit(order)
        return order, True

    async def _unsent(self, order: Order, why: str) -> Order:
        """An intent that will not go out after all."""
        done = _replace(
            order, status=OrderStatus.CANCELED, error=why, ts_updated=self.clock.now_ms()
        )
        if not await self._kept(done, before=order):
            raise NotSent(f"{order.client_order_id}: {why}")
        return done

    async def _refused(
        self, order: Order, exc: DexcexError, *, may_fail_over: bool
    ) -> tuple[Order, VenueId | None]:
        """A venue that refused the order without placing it: the order's final state,
        and the healthy backup to send it to instead (when the refusal was the venue's)."""
        target, cid = order.venue, order.client_order_id
        venue_side = not isinstance(exc, Rejected) or exc.reason in _VENUE_REASONS
        self.router.record(target, ok=not venue_side)
        backup = self._backup_for(target, order.symbol) if may_fail_over and venue_side else None
        status = OrderStatus.REJECTED if isinstance(exc, Rejected) else OrderStatus.FAILED
        failed = _replace(
            order,
            status=status,
            error=str(exc),
            ts_updated=self.clock.now_ms(),
            note=f"failed over to {backup}" if backup else order.note,
        )
        if not await self._kept(failed, before=order):
            raise NotSent(f"{cid}: refused by {target} ({exc}); its refusal not stored") from exc
        if backup is None:
            _log.warning("live order refused", order=cid, venue=target, error=str(exc))
        else:
            _log.warning("live order failover", order=cid, frm=target, to=backup, error=str(exc))
        return failed, backup

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

    def _track(self, order: Order, ended: Callable[[Order], None] | None = None) -> None:
        """Follow ``order`` to its final state; ``ended`` gets that state. An order
        already followed is left to its follower (two would store each fill twice)."""
        cid = order.client_order_id
        if cid in self._following:
            return
        self._following.add(cid)
        task = asyncio.get_running_loop().create_task(self._follow(order, ended))
        self._tracking.add(task)
        task.add_done_callback(self._tracking.discard)
        task.add_done_callback(lambda _: self._following.discard(cid))

    async def _follow(self, order: Order, ended: Callable[[Order], None] | None) -> None:
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
                    current = failed
                    break
                continue
            merged = self._merge(current, found)
            if merged != current:
                await self._save(merged, before=current)
                current = merged
        if ended is not None:
            ended(current)

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
        if fill is not None and order.status.is_final:
            task = asyncio.get_running_loop().create_task(self._refresh_balance(order.venue))
            self._tracking.add(task)
            task.add_done_callback(self._tracking.discard)
        self._emit(order)

    async def _kept(self, order: Order, *, before: Order | None) -> bool:
        """``_save``, False (logged) when the database refused it."""
        try:
            await self._save(order, before=before)
        except Exception as exc:
            _log.error("live order state not stored", order=order.client_order_id, error=str(exc))
            return False
        return True

    async def _refresh_balance(self, vid: VenueId) -> None:
        """The venue's balances after a fill (the page's account strip shows them)."""
        try:
            got = await self.router.venues[vid].fetch_balance()
        except DexcexError as exc:
            _log.warning("balance not refreshed", venue=vid.value, error=str(exc))
            return
        self.balances[vid.value] = {a: b.total for a, b in got.items()}

    def _write(self, order: Order, before: Order | None) -> Fill | None:
        self.db.orders.save(order)
        fill = _fill_delta(before, order)
        if fill is not None and not self.db.fills.add(fill):
            # already stored: another saver of this order (the kill switch's cancel, a
            # follower) saw the same fill first — booked once, not again
            fill = None
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
