"""Reconciliation at start: every order the database left unfinished looked up at its
venue, orders of ours found open at a venue adopted, balances read, open trades and the
day's sent notional rebuilt — only then does the trader take signals."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from dexcex.domain import (
    DexcexError,
    Direction,
    Order,
    OrderLeg,
    OrderStatus,
    Side,
    TradingMode,
    leg_of_client_id,
)
from dexcex.execution.live_orders import OrderKeeping
from dexcex.execution.live_records import (
    _DAY_MS,
    LiveTrade,
    ReconcileReport,
    _log,
    _notional,
    _replace,
)

__all__ = ["Reconciling"]


class Reconciling(OrderKeeping):
    # --- start ---------------------------------------------------------------------------------

    async def reconcile(self) -> ReconcileReport:
        """Bring the database in line with the venues; rebuild open positions; then ready."""
        rep = ReconcileReport()
        await self._reconcile_orders(rep)
        await self._reconcile_venues(rep)
        self.balances = dict(rep.balances)
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
