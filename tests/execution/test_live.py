"""Live trading against the simulator: never twice, failover on the record, restart
reconciliation, caps, the kill switch — and it cannot be reached by accident."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
import structlog

from dexcex.config import Settings, load_settings
from dexcex.domain import (
    BookLevel,
    ConfigError,
    DexcexError,
    ManualClock,
    OrderBook,
    OrderLeg,
    OrderStatus,
    OrderType,
    Regime,
    Rejected,
    RiskDecision,
    Side,
    Signal,
    TradingMode,
    VenueId,
)
from dexcex.execution.live import LiveTrader, live_gate
from dexcex.logs import configure_logging
from dexcex.roots.connectors import sim_endpoints
from dexcex.sim.scenario import AccountSpec, Fault, FaultKind, load_scenario
from dexcex.sim.world import SimWorld, run_sim
from dexcex.store import Database
from dexcex.venues.registry import make_venue
from dexcex.venues.router import FailoverPolicy, VenueRouter
from tests.factories import make_signal
from tests.venues.test_conformance import visible
from tests.waiting import until

KEY = "sk-live-K3y-0123456789abcdef"
SECRET = "sk-live-S3cr3t-fedcba9876543210"


def live_settings(**live: Any) -> Settings:
    base = load_settings()
    return base.model_copy(update={"live": base.live.model_copy(update={"enabled": True, **live})})


def approve(sig: Signal, size: float, notional: float = 25.0) -> RiskDecision:
    return RiskDecision(
        sig.id, sig.ts, True, size, notional, 2.5, 2.5, 5.0, Regime.NORMAL, ("all checks passed",)
    )


# --- cannot be reached by accident ------------------------------------------------------------


def test_live_is_refused_without_the_flag() -> None:
    urls = {
        f"{n}_{k}": "http://x"
        for n in ("mexc", "bybit", "birdeye", "dexscreener")
        for k in ("rest", "ws")
    }
    s = sim_endpoints(load_settings(), urls, KEY, SECRET)  # keys present, flag off
    assert s.venues.mexc.has_keys
    with pytest.raises(ConfigError, match="live trading is off"):
        live_gate(s)


def test_live_is_refused_without_keys() -> None:
    with pytest.raises(ConfigError, match=r"needs mexc API keys.*DEXCEX_VENUES__MEXC__API_KEY"):
        live_gate(live_settings())


def test_a_trader_cannot_be_built_past_the_gate(tmp_path: Path) -> None:
    s = load_settings()
    clock = ManualClock(1_700_000_000_000)
    venues = {v: make_venue(v, s, clock) for v in VenueId}
    router = VenueRouter(venues, VenueId.MEXC, clock)
    db = Database.open(f"sqlite:///{tmp_path / 'g.sqlite3'}", migrate=True)
    try:
        with pytest.raises(ConfigError):
            LiveTrader(s, router, db, clock)
        with pytest.raises(ConfigError):
            LiveTrader(live_settings(), router, db, clock)
    finally:
        db.close()


# --- against the simulator --------------------------------------------------------------------


@dataclass
class Rig:
    world: SimWorld
    trader: LiveTrader
    router: VenueRouter
    db: Database
    settings: Settings

    def at_venue(self, venue: str, cid: str) -> int:
        return sum(1 for o in self.world.exchanges[venue].orders.values() if o.client_id == cid)

    def signal(self, i: int, **kw: Any) -> Signal:
        assert self.world.clock is not None
        sig = make_signal(i, ts=self.world.clock.now_ms(), **kw)
        self.db.signals.add(sig)
        return sig

    def new_trader(self) -> LiveTrader:
        assert self.world.clock is not None
        return LiveTrader(self.settings, self.router, self.db, self.world.clock, poll_s=0.1)


@asynccontextmanager
async def live_on_sim(
    tmp_path: Path, *faults: Fault, timeout_s: float = 5.0, **live: Any
) -> AsyncIterator[Rig]:
    sc = load_scenario("default").model_copy(
        update={
            "faults": list(faults),
            "assets": ["wif"],
            "accounts": [AccountSpec(api_key=KEY, api_secret=SECRET)],
        }
    )
    async with run_sim(sc, speed=2.0) as world:
        assert world.clock is not None
        s = sim_endpoints(live_settings(**live), world.urls, KEY, SECRET)
        venues_cfg = s.venues.model_copy(
            update={
                v.value: s.venues.get(v).model_copy(update={"timeout_s": timeout_s})
                for v in VenueId
            }
        )
        s = s.model_copy(update={"venues": venues_cfg})
        venues = {v: make_venue(v, s, world.clock) for v in VenueId}
        for v in venues.values():
            await v.load_markets()
        router = VenueRouter(
            venues, VenueId.MEXC, world.clock, FailoverPolicy(unhealthy_after_s=1.0)
        )

        async def feed(v: Any) -> None:  # what the pipeline's streams do for health
            while True:
                try:
                    await v.watch_order_book("WIF/USDT")
                except DexcexError:
                    await asyncio.sleep(0.2)

        async def assess() -> None:
            while True:
                router.assess()
                await asyncio.sleep(0.1)

        tasks = [asyncio.create_task(feed(v)) for v in venues.values()]
        tasks.append(asyncio.create_task(assess()))
        db = Database.open(f"sqlite:///{tmp_path / 'live.sqlite3'}", migrate=True)
        trader = LiveTrader(s, router, db, world.clock, poll_s=0.1)
        try:
            yield Rig(world, trader, router, db, s)
        finally:
            await trader.stop()
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await t
            for v in venues.values():
                await v.close()
            db.close()


async def test_no_signal_is_taken_before_reconciling(tmp_path: Path) -> None:
    async with live_on_sim(tmp_path) as rig:
        sig = rig.signal(1)
        assert rig.trader.refusal(sig, approve(sig, 10)) == (
            "live trading is reconciling with the venues"
        )
        assert await rig.trader.submit(sig, approve(sig, 10)) is None
        assert rig.db.orders.recent() == []
        await rig.trader.reconcile()
        order = await rig.trader.submit(sig, approve(sig, 10))
        assert order is not None
        await rig.trader.wait_tracked()  # answered at the ack; the follower brings the fill
        stored = rig.db.orders.get(order.client_order_id)
        assert stored is not None and stored.status is OrderStatus.FILLED
        assert stored.mode is TradingMode.LIVE
        assert stored.filled_qty == Decimal(10) and stored.venue is VenueId.MEXC
        assert rig.db.fills.for_order(order.client_order_id)[0].qty == Decimal(10)
        assert rig.db.signals.get(sig.id)["order_client_id"] == order.client_order_id  # type: ignore[index]


async def test_a_timeout_after_the_venue_accepted_never_places_a_second_order(
    tmp_path: Path,
) -> None:
    # MEXC answers after 2.5 s for 3 s; the client gives up after 1 s
    slow = Fault(at_s=0, kind=FaultKind.SLOW, target="mexc", duration_s=3, delay_ms=2500)
    async with live_on_sim(tmp_path, timeout_s=1.0) as rig:
        await rig.trader.reconcile()
        rig.world.faults.arm([slow], rig.world.market.now, rig.world.market.schedule)
        async with asyncio.timeout(10):
            while rig.world.faults.window("mexc", FaultKind.SLOW) is None:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        sig = rig.signal(2)
        order = await rig.trader.submit(sig, approve(sig, 10))
        assert order is not None
        await rig.trader.wait_tracked()
        cid = order.client_order_id
        final = rig.db.orders.get(cid)
        assert final is not None and final.status is OrderStatus.FILLED, final
        assert rig.at_venue("mexc", cid) == 1 and rig.at_venue("bybit", cid) == 0
        # the same intent again — now, or from a restarted process — is the same order
        assert await rig.trader.submit(sig, approve(sig, 10)) is None  # position open
        again = await rig.new_trader()._place(
            sig.id, OrderLeg.ENTRY, Side.BUY, "WIF/USDT", Decimal(10), "x"
        )
        assert again.client_order_id == cid
        assert rig.at_venue("mexc", cid) == 1
        assert len([o for o in rig.db.orders.recent() if o.signal_id == sig.id]) == 1


async def test_failover_to_bybit_when_mexc_is_down_is_on_the_order_record(
    tmp_path: Path,
) -> None:
    down = Fault(at_s=0, kind=FaultKind.DOWN, target="mexc", duration_s=600)
    async with live_on_sim(tmp_path) as rig:
        await rig.trader.reconcile()
        async with asyncio.timeout(20):
            while rig.router.active is not VenueId.BYBIT:
                if rig.world.faults.window("mexc", FaultKind.DOWN) is None:
                    rig.world.faults.arm([down], rig.world.market.now, rig.world.market.schedule)
                await asyncio.sleep(0.1)
        sig = rig.signal(3)
        order = await rig.trader.submit(sig, approve(sig, 10))
        assert order is not None and order.venue is VenueId.BYBIT
        await rig.trader.wait_tracked()
        filled = rig.db.orders.get(order.client_order_id)
        assert filled is not None and filled.status is OrderStatus.FILLED
        assert order.note is not None and order.note.startswith("routed to bybit: mexc unhealthy")
        assert rig.at_venue("bybit", order.client_order_id) == 1
        assert rig.at_venue("mexc", order.client_order_id) == 0
        assert rig.db.orders.get(order.client_order_id).note == order.note  # type: ignore[union-attr]


async def test_a_venue_rejection_fails_over_and_both_records_say_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with live_on_sim(tmp_path) as rig:
        await rig.trader.reconcile()

        async def suspended(*_a: Any, **_k: Any) -> Any:
            raise Rejected("mexc: market suspended for maintenance", reason="exchange_error")

        monkeypatch.setattr(rig.router.venues[VenueId.MEXC], "create_order", suspended)
        sig = rig.signal(4)
        order = await rig.trader.submit(sig, approve(sig, 10))
        assert order is not None and order.venue is VenueId.BYBIT
        assert order.client_order_id.startswith("dxe1")  # a new attempt, a new id
        assert order.note == "failover from mexc: mexc: market suspended for maintenance"
        first = rig.db.orders.get(order.client_order_id.replace("dxe1", "dxe0"))
        assert first is not None and first.status is OrderStatus.REJECTED
        assert first.venue is VenueId.MEXC and first.note == "failed over to bybit"
        assert rig.at_venue("bybit", order.client_order_id) == 1

        # a refusal that is about the order itself does not move to another venue
        async def no_funds(*_a: Any, **_k: Any) -> Any:
            raise Rejected("mexc: insufficient balance", reason="insufficient_funds")

        monkeypatch.setattr(rig.router.venues[VenueId.MEXC], "create_order", no_funds)
        sig2 = rig.signal(5, asset="bonk")
        o2 = await rig.trader.submit(sig2, approve(sig2, 10))
        assert o2 is not None and o2.status is OrderStatus.REJECTED and o2.venue is VenueId.MEXC
        assert rig.at_venue("bybit", "dxe1" + o2.client_order_id[4:]) == 0


async def test_restart_mid_position_reconciles_and_loses_nothing(tmp_path: Path) -> None:
    async with live_on_sim(tmp_path) as rig:
        t1 = rig.trader
        await t1.reconcile()
        a = rig.signal(6)
        entry_a = await t1.submit(a, approve(a, 10))
        assert entry_a is not None
        await t1.wait_tracked()
        filled_a = rig.db.orders.get(entry_a.client_order_id)
        assert filled_a is not None and filled_a.status is OrderStatus.FILLED
        # the process dies while B's entry is on the wire: stored as sent, filled at MEXC
        b = rig.signal(7, asset="bonk")
        sent = await t1._place(b.id, OrderLeg.ENTRY, Side.BUY, "WIF/USDT", Decimal(4), "signal")
        rig.db.orders.save(
            msgspec.structs.replace(
                sent, status=OrderStatus.SENT, filled_qty=Decimal(0), avg_price=None
            )
        )
        mexc = rig.router.venues[VenueId.MEXC]
        # (by the restart MEXC shows it: past its -2013 moment after the create)
        assert await visible(mexc, sent.client_order_id) is not None
        # … and a resting order of ours the database never heard of
        book = await mexc.fetch_order_book("WIF/USDT", 5)
        assert book.best_bid is not None
        low = mexc.rules["WIF/USDT"].round_price(
            Decimal(str(book.best_bid)) * Decimal("0.7"), Side.BUY
        )
        await mexc.create_order(
            "dxe0orphan", "WIF/USDT", Side.BUY, OrderType.LIMIT, Decimal(5), low
        )

        t2 = rig.new_trader()  # the restarted process
        rep = await t2.reconcile()
        assert (rep.checked, rep.updated, rep.adopted, rep.missing) == (1, 1, 1, 0)
        assert rep.open_trades == 2 and not rep.warnings, rep.warnings
        assert rep.balances["mexc"]["WIF"] > 0
        b_row = rig.db.orders.get(sent.client_order_id)
        assert b_row is not None and b_row.status is OrderStatus.FILLED
        assert b_row.filled_qty == Decimal(4)
        assert {t.signal_id for t in t2.trades.values()} == {a.id, b.id}
        assert rig.db.orders.get("dxe0orphan").note.startswith("found open")  # type: ignore[union-attr]
        # the restarted trader closes both positions, once each
        assert rig.world.clock is not None
        now = rig.world.clock.now_ms()
        later = OrderBook(
            VenueId.MEXC,
            "WIF/USDT",
            (BookLevel(2.0, 1.0),),
            (BookLevel(2.1, 1.0),),
            1,
            now + 10**7,
            now + 10**7,
        )
        due = t2.due_exits(later)
        assert {t.signal_id for t, _ in due} == {a.id, b.id}
        closing = [await t2.close(trade, why) for trade, why in due]
        assert t2.due_exits(later) == []  # each closing, once: no second exit meanwhile

        def closed() -> bool:  # (the adopted resting order is followed too: it never ends)
            rows = [rig.db.orders.get(o.client_order_id) for o in closing]
            return not t2.trades and all(r and r.status is OrderStatus.FILLED for r in rows)

        await until(closed, what="both closing orders filled, as the follower brings them")
        assert t2.due_exits(later) == []
        # every order of ours at the venue is in the database with the venue's fill
        ours = {o.client_id: o for o in rig.world.exchanges["mexc"].orders.values()}
        for cid, vo in ours.items():
            row = rig.db.orders.get(cid)
            assert row is not None, cid
            assert row.filled_qty == Decimal(str(vo.executed)), cid
        # the kill switch cancels the resting one and refuses what comes next
        cancelled = await t2.kill()
        assert [o.client_order_id for o in cancelled] == ["dxe0orphan"]
        assert cancelled[0].status is OrderStatus.CANCELED
        c = rig.signal(8, asset="pepe")
        assert t2.refusal(c, approve(c, 1)) == "kill switch on"


async def test_per_order_and_daily_caps(tmp_path: Path) -> None:
    async with live_on_sim(
        tmp_path, max_order_notional_usd=50.0, max_daily_notional_usd=30.0
    ) as rig:
        await rig.trader.reconcile()
        book = await rig.router.venues[VenueId.MEXC].fetch_order_book("WIF/USDT", 5)
        assert book.mid is not None
        big = rig.signal(9)
        why = rig.trader.refusal(big, approve(big, 100, notional=100 * book.mid + 50))
        # valued at the book of that moment, which may have moved a tick since this one
        m = re.fullmatch(r"order notional (\d+\.\d\d) over the per-order cap 50\.00", why or "")
        assert m and float(m[1]) == pytest.approx(100 * book.mid + 50, rel=0.01), why
        size = 18.0 / book.mid  # 18 USDT: one fits the day's 30, two do not
        first = rig.signal(10)
        placed = await rig.trader.submit(first, approve(first, size, notional=18.0))
        assert placed is not None
        await rig.trader.wait_tracked()
        row = rig.db.orders.get(placed.client_order_id)
        assert row is not None and row.status is OrderStatus.FILLED
        second = rig.signal(11, asset="bonk")
        why = rig.trader.refusal(second, approve(second, size, notional=18.0))
        assert why is not None and why.startswith("daily cap:")
        # a restart counts what was already filled today
        t2 = rig.new_trader()
        await t2.reconcile()
        why = t2.refusal(second, approve(second, size, notional=18.0))
        assert why is not None and why.startswith("daily cap:")
        small = rig.signal(12, asset="pepe")
        assert t2.refusal(small, approve(small, 5.0 / book.mid, notional=5.0)) is None


async def test_secrets_never_reach_the_logs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging("DEBUG", "json")
    caplog.set_level(logging.DEBUG)
    try:
        async with live_on_sim(tmp_path) as rig:
            await rig.trader.reconcile()
            sig = rig.signal(13)
            await rig.trader.submit(sig, approve(sig, 10))
            bad = rig.signal(14, asset="bonk")
            await rig.trader.submit(bad, approve(bad, 10**9, notional=1.0))  # refused by venue
            structlog.get_logger("t").error("oops", detail=f"key={KEY} secret={SECRET}")
    finally:
        configure_logging("INFO", "console")
    text = capsys.readouterr().err + caplog.text
    assert "live order" in text and "live reconciled" in text
    assert KEY not in text and SECRET not in text


async def test_an_unexpected_answer_is_followed_not_resent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dexcex.domain import AuthError

    async with live_on_sim(tmp_path) as rig:
        await rig.trader.reconcile()
        rig.trader.lookup_window_s = 1.0

        async def refused(*_a: Any, **_k: Any) -> Any:
            raise AuthError("mexc: API key refused")

        monkeypatch.setattr(rig.router.venues[VenueId.MEXC], "create_order", refused)
        sig = rig.signal(20)
        order = await rig.trader.submit(sig, approve(sig, 10))
        assert order is not None and order.status is OrderStatus.SENT
        assert order.error is not None and "API key refused" in order.error
        await rig.trader.wait_tracked()  # looked up by id until the window closes
        final = rig.db.orders.get(order.client_order_id)
        assert final is not None and final.status is OrderStatus.FAILED
        assert rig.at_venue("mexc", order.client_order_id) == 0
        assert rig.at_venue("bybit", order.client_order_id) == 0  # not moved elsewhere


async def test_a_second_signal_waits_while_the_first_entry_is_on_its_way(tmp_path: Path) -> None:
    # MEXC answers after 1.5 s: the first entry is on the wire while the second comes
    slow = Fault(at_s=0, kind=FaultKind.SLOW, target="mexc", duration_s=3, delay_ms=1500)
    async with live_on_sim(tmp_path) as rig:
        await rig.trader.reconcile()
        rig.world.faults.arm([slow], rig.world.market.now, rig.world.market.schedule)
        async with asyncio.timeout(10):
            while rig.world.faults.window("mexc", FaultKind.SLOW) is None:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        first, second = rig.signal(30), rig.signal(31)
        entry = asyncio.create_task(rig.trader.submit(first, approve(first, 10)))
        async with asyncio.timeout(10):  # its intent is stored before it is sent
            while not [o for o in rig.db.orders.recent() if o.signal_id == first.id]:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        assert not entry.done()
        assert rig.trader.refusal(second, approve(second, 10)) == (
            "an entry in this asset is on its way"
        )
        assert await rig.trader.submit(second, approve(second, 10)) is None
        order = await entry
        assert order is not None
        await rig.trader.wait_tracked()
        assert rig.trader.refusal(second, approve(second, 10)) == (
            "a position in this asset is already open"
        )
        assert [o.signal_id for o in rig.db.orders.recent()] == [first.id]
