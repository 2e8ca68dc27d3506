"""One suite that paper and live execution both pass, through the execution service the
engine holds: what a signal becomes, what risk is told, what a repeat does, and what the
kill switch does — at the venue for live (counted in the simulator's own order book)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Protocol

import pytest

from dexcex.core import CoreOutput
from dexcex.domain import (
    BookLevel,
    ManualClock,
    Order,
    OrderBook,
    OrderLeg,
    OrderStatus,
    OrderType,
    Side,
    Signal,
    VenueId,
    client_order_id_for,
)
from dexcex.execution.executor import ExecuteResult, PaperExecutor
from dexcex.execution.journal import Journal
from dexcex.execution.kill_switch import KillReason, KillSwitch
from dexcex.execution.live import LiveTrader
from dexcex.execution.live_executor import LiveExecutor
from dexcex.execution.paper import Execution, PaperBroker
from dexcex.execution.service import ExecutionService
from dexcex.risk.state import PortfolioState
from dexcex.store import Database
from tests.execution.test_live import Rig, approve, live_on_sim
from tests.factories import T0, make_signal
from tests.waiting import until


@dataclass
class RiskSeen:
    states: list[PortfolioState] = field(default_factory=list)

    def set_portfolio(self, portfolio: PortfolioState) -> None:
        self.states.append(portfolio)


class Harness(Protocol):
    service: ExecutionService
    risk: RiskSeen
    db: Database

    def signal(self, i: int) -> CoreOutput: ...

    async def settle(self) -> None:
        """Let what was sent reach the venue and come back (fills, exits)."""

    def entries_at_venue(self, signal_id: str) -> int:
        """Entry orders of this signal the venue holds (its own count, not ours)."""

    async def resting_order(self) -> str:
        """An entry order of ours that is open at the venue; its client id."""

    def open_at_venue(self) -> list[str]: ...

    async def unfilled_entry(self, i: int) -> tuple[CoreOutput, ExecuteResult]:
        """A clicked signal whose entry ended with nothing filled (paper: cancelled by a
        kill before it reached a book; live: refused by the venue for the balance), and
        the cause gone again."""


def _service(
    settings_db: tuple[object, Database], clock: object, make: Callable[..., object], risk: RiskSeen
) -> ExecutionService:
    settings, db = settings_db
    return ExecutionService(
        settings,  # type: ignore[arg-type]
        clock,  # type: ignore[arg-type]
        Journal(db),
        make,  # type: ignore[arg-type]
        auto=False,
        kill_switch=KillSwitch(db.state),
        risk=risk,
    )


# --- paper: the broker on a manual clock, fed books by the test --------------------------------


class PaperHarness:
    def __init__(self, tmp: Path) -> None:
        from dexcex.config import load_settings

        self.settings = load_settings()
        self.clock = ManualClock(T0)
        self.db = Database.open(f"sqlite:///{tmp / 'paper.sqlite3'}", migrate=True)
        self.risk = RiskSeen()
        fees = {v: self.settings.venues.get(v).taker_fee_bps for v in VenueId}

        def broker(sink: Callable[[Execution], None]) -> PaperBroker:
            return PaperBroker(self.settings.execution, fees, self.clock, sink)

        def executor(ex: ExecutionService) -> PaperExecutor:
            return PaperExecutor(broker, ex.on_execution, ex.on_order, ex.on_fill)

        self.service = _service((self.settings, self.db), self.clock, executor, self.risk)
        self.orders: list[Order] = []
        self.service.listeners.append(self.orders.append)
        self._seq = 0

    def _book(self) -> OrderBook:
        self._seq += 1
        now = self.clock.now_ms()
        bids = (BookLevel(2.499, 5_000.0), BookLevel(2.49, 50_000.0))
        asks = (BookLevel(2.501, 5_000.0), BookLevel(2.51, 50_000.0))
        return OrderBook(VenueId.MEXC, "WIF/USDT", bids, asks, self._seq, now, now)

    def signal(self, i: int) -> CoreOutput:
        sig = make_signal(i, ts=self.clock.now_ms())
        self.db.signals.add(sig)
        return CoreOutput(sig, approve(sig, 10))

    async def settle(self) -> None:
        self.clock.advance(1_000)
        self.service.on_event(self._book())
        await self.service.tick(self.clock.now_ms())  # the journal's cadence: written

    def entries_at_venue(self, signal_id: str) -> int:
        return len(
            {
                o.client_order_id
                for o in self.orders
                if o.signal_id == signal_id and o.leg is OrderLeg.ENTRY
            }
        )

    async def resting_order(self) -> str:
        out = self.signal(90)
        await self.service.offer(out)
        res = await self.service.execute(out.signal.id)
        assert res.order is not None  # sent, not yet at the venue: its latency is running
        return res.order.client_order_id

    def open_at_venue(self) -> list[str]:
        return [x.order.client_order_id for x in self.service.executor.broker._pending]  # type: ignore[attr-defined]

    async def unfilled_entry(self, i: int) -> tuple[CoreOutput, ExecuteResult]:
        out, res = await _click(self, i)
        await self.service.kill(KillReason.MANUAL, "test")
        await self.service.release()
        await self.settle()  # the journal's cadence: the cancelled entry is written
        return out, res

    def close(self) -> None:
        self.db.close()


# --- live: the live trader against the simulated MEXC ------------------------------------------


class LiveHarness:
    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self.db = rig.db
        self.risk = RiskSeen()
        assert rig.world.clock is not None
        clock = rig.world.clock

        def executor(ex: ExecutionService) -> LiveExecutor:
            trader = LiveTrader(
                rig.settings,
                rig.router,
                rig.db,
                clock,
                on_order=ex.on_order,
                on_fill=ex.on_fill,
                poll_s=0.1,
            )
            return LiveExecutor(trader, ex.spawn)

        self.service = _service((rig.settings, rig.db), clock, executor, self.risk)
        self.trader: LiveTrader = self.service.executor.trader  # type: ignore[attr-defined]

    def signal(self, i: int) -> CoreOutput:
        sig: Signal = self.rig.signal(i)
        return CoreOutput(sig, approve(sig, 10))

    async def settle(self) -> None:
        await self.trader.wait_tracked()
        await self.service.wait_idle()

    def entries_at_venue(self, signal_id: str) -> int:
        cids = {client_order_id_for(signal_id, OrderLeg.ENTRY, a) for a in range(3)}
        return sum(
            1
            for ex in self.rig.world.exchanges.values()
            for o in ex.orders.values()
            if o.client_id in cids
        )

    async def resting_order(self) -> str:
        mexc = self.rig.router.venues[VenueId.MEXC]
        book = await mexc.fetch_order_book("WIF/USDT", 5)
        assert book.best_bid is not None
        low = mexc.rules["WIF/USDT"].round_price(  # type: ignore[attr-defined]
            Decimal(str(book.best_bid)) * Decimal("0.7"), Side.BUY
        )
        sig = self.rig.signal(90)
        cid = client_order_id_for(sig.id, OrderLeg.ENTRY)
        await mexc.create_order(cid, "WIF/USDT", Side.BUY, OrderType.LIMIT, Decimal(5), low)
        # a restart finds it open at the venue and adopts it (what reconciliation does)
        await self.trader.reconcile()
        return cid

    def open_at_venue(self) -> list[str]:
        return [
            o.client_id
            for ex in self.rig.world.exchanges.values()
            for o in ex.orders.values()
            if o.is_open
        ]

    async def unfilled_entry(self, i: int) -> tuple[CoreOutput, ExecuteResult]:
        (acct,) = self.rig.world.exchanges["mexc"].accounts.values()
        held = acct.free["USDT"]
        acct.free["USDT"] = 0.0
        try:
            out, res = await _click(self, i)
            await self.settle()
        finally:
            acct.free["USDT"] = held
        return out, res


@contextlib.asynccontextmanager
async def harness(kind: str, tmp: Path) -> AsyncIterator[Harness]:
    if kind == "paper":
        h = PaperHarness(tmp)
        try:
            await h.service.start()
            yield h
        finally:
            await h.service.stop()
            h.close()
        return
    async with live_on_sim(tmp) as rig:
        lh = LiveHarness(rig)
        await lh.trader.reconcile()
        await lh.service.start()
        try:
            yield lh
        finally:
            await lh.service.stop()


KINDS = ["paper", "live"]


async def _click(h: Harness, i: int) -> tuple[CoreOutput, ExecuteResult]:
    """A stored signal offered to execution, then clicked."""
    out = h.signal(i)
    await h.service.offer(out)
    return out, await h.service.execute(out.signal.id)


@pytest.mark.parametrize("kind", KINDS)
async def test_an_approved_signal_fills_and_risk_sees_the_position(
    kind: str, tmp_path: Path
) -> None:
    async with harness(kind, tmp_path) as h:
        out, res = await _click(h, 1)
        assert res.refused is None and res.order is not None
        assert res.order.leg is OrderLeg.ENTRY
        assert res.order.client_order_id == client_order_id_for(out.signal.id, OrderLeg.ENTRY)
        await h.settle()
        await until(lambda: h.service.ledger.holds("wif"), what="the position is booked")
        last = h.risk.states[-1]
        assert last.exposure_usd > 0 and last.by_asset_usd.get("wif", 0) > 0
        stored = h.db.orders.get(res.order.client_order_id)
        assert stored is not None and stored.status is OrderStatus.FILLED
        assert h.entries_at_venue(out.signal.id) == 1
        # what the account strip shows: the venue's own balances live, none in paper
        held = h.service.executor.balances()
        if kind == "live":
            await until(
                lambda: h.service.executor.balances().get("mexc", {}).get("WIF", 0) >= 10,
                what="the venue's balance after the fill",
            )
        else:
            assert held == {}


@pytest.mark.parametrize("kind", KINDS)
async def test_executing_a_signal_again_never_places_a_second_entry(
    kind: str, tmp_path: Path
) -> None:
    async with harness(kind, tmp_path) as h:
        out, first = await _click(h, 2)
        assert first.order is not None
        await h.settle()
        again = await h.service.execute(out.signal.id)
        assert again.order is None and again.existing == first.order.client_order_id
        await h.settle()
        assert h.entries_at_venue(out.signal.id) == 1


@pytest.mark.parametrize("kind", KINDS)
async def test_the_kill_switch_cancels_open_orders_at_the_venue_and_refuses_new_ones(
    kind: str, tmp_path: Path
) -> None:
    async with harness(kind, tmp_path) as h:
        cid = await h.resting_order()
        assert cid in h.open_at_venue()
        cancelled = await h.service.kill(KillReason.MANUAL, "test")
        assert [o.client_order_id for o in cancelled] == [cid]
        assert cancelled[0].status is OrderStatus.CANCELED
        assert cid not in h.open_at_venue()
        # persisted: what a restarted engine reads
        assert KillSwitch(h.db.state).load().on
        assert h.risk.states[-1].kill_switch
        out, res = await _click(h, 3)
        assert res.order is None and res.refused == "kill switch on (manual)"
        assert h.entries_at_venue(out.signal.id) == 0
        state = await h.service.release()
        assert not state.on and not KillSwitch(h.db.state).load().on
        # released means trading again, at the venue too
        after, res = await _click(h, 5)
        assert res.refused is None and res.order is not None, res.refused
        await h.settle()
        assert h.entries_at_venue(after.signal.id) == 1


@pytest.mark.parametrize("kind", KINDS)
async def test_kill_with_flatten_closes_every_position(kind: str, tmp_path: Path) -> None:
    async with harness(kind, tmp_path) as h:
        _, clicked = await _click(h, 4)
        assert clicked.order is not None
        await h.settle()
        await until(lambda: h.service.ledger.holds("wif"), what="the position is booked")
        await h.service.kill(KillReason.MANUAL, "flatten", flatten=True)
        await h.settle()
        await until(lambda: not h.service.ledger.holds("wif"), what="the position is closed")
        assert h.risk.states[-1].exposure_usd == 0


@pytest.mark.parametrize("kind", KINDS)
async def test_a_forced_exit_closes_that_position_once(kind: str, tmp_path: Path) -> None:
    async with harness(kind, tmp_path) as h:
        out, clicked = await _click(h, 6)
        assert clicked.order is not None
        await h.settle()
        await until(lambda: h.service.ledger.holds("wif"), what="the position is booked")
        order = await h.service.force_exit("wif", out.signal.origin)
        assert order is not None and order.leg is OrderLeg.EXIT
        await h.settle()
        await until(lambda: not h.service.ledger.holds("wif"), what="the position is closed")
        assert await h.service.force_exit("wif", out.signal.origin) is None  # nothing left
        assert await h.service.force_exit("pepe", "dex") is None  # never open


@pytest.mark.parametrize("kind", KINDS)
async def test_an_entry_that_ended_unfilled_may_be_tried_again_under_a_new_id(
    kind: str, tmp_path: Path
) -> None:
    async with harness(kind, tmp_path) as h:
        out, first = await h.unfilled_entry(7)
        sid = out.signal.id
        assert first.order is not None
        await until(
            lambda: (
                (o := h.db.orders.get(first.order.client_order_id)) is not None  # type: ignore[union-attr]
                and o.status.is_final
                and o.filled_qty == 0
            ),
            what="the first entry ended unfilled",
        )
        assert not h.service.ledger.holds("wif")
        # nothing was traded, so the signal is not spent: the next click is a new order
        second = await h.service.execute(sid)
        assert second.refused is None and second.order is not None, second.refused
        assert second.order.client_order_id == client_order_id_for(sid, OrderLeg.ENTRY, 1)
        await h.settle()
        await until(lambda: h.service.ledger.holds("wif"), what="the second entry filled")
        # and once something filled, never again
        third = await h.service.execute(sid)
        assert third.order is None and third.existing == second.order.client_order_id
        stored = h.db.orders.entries_for(sid)
        assert [e.client_order_id for e in stored] == [
            client_order_id_for(sid, OrderLeg.ENTRY, a) for a in (0, 1)
        ]
        assert stored[1].status is OrderStatus.FILLED
