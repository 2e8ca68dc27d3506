"""One conformance suite for every venue adapter, run on the simulator (a subclass each).

Book, trades, balances, the order lifecycle, client-id idempotency when the answer to a
create is lost (exactly one order at the venue), 429 and 5xx handling, and bad input on
the streams counted while the stream goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import ClassVar

import pytest
from pydantic import SecretStr

from dexcex.config import VenueSettings
from dexcex.domain import (
    CexMarket,
    NotFound,
    Order,
    OrderOutcomeUnknown,
    OrderStatus,
    OrderType,
    RateLimited,
    Rejected,
    RetryLater,
    Side,
    TemporarilyUnavailable,
    VenueId,
)
from dexcex.sim.scenario import Fault, FaultKind, load_scenario
from dexcex.sim.world import SimWorld, run_sim
from dexcex.venues.bybit.client import BybitVenue
from dexcex.venues.ccxt_venue import CcxtVenue
from dexcex.venues.mexc.client import MexcVenue

SYMBOL = "WIF/USDT"
VSYM = "WIFUSDT"


@asynccontextmanager
async def venue_on_sim(
    cls: type[CcxtVenue],
    *faults: Fault,
    speed: float = 4.0,
    timeout_s: float = 5.0,
    assets: list[str] | None = None,
) -> AsyncIterator[tuple[SimWorld, CcxtVenue]]:
    update: dict[str, object] = {"faults": list(faults)}
    if assets is not None:
        update["assets"] = assets
    sc = load_scenario("default").model_copy(update=update)
    async with run_sim(sc, speed=speed) as world:
        vid = cls.id.value
        settings = VenueSettings(
            rest_url=world.urls[f"{vid}_rest"],
            ws_url=world.urls[f"{vid}_ws"],
            api_key=SecretStr("sim-key"),
            api_secret=SecretStr("sim-secret"),
            timeout_s=timeout_s,
            ccxt_throttle=False,
        )
        assert world.clock is not None
        venue = cls(
            settings, [CexMarket(cls.id, SYMBOL), CexMarket(cls.id, "BONK/USDT")], world.clock
        )
        try:
            await venue.load_markets()
            yield world, venue
        finally:
            await venue.close()


def placed(world: SimWorld, venue: str, cid: str) -> int:
    return sum(1 for o in world.exchanges[venue].orders.values() if o.client_id == cid)


async def until(cond: Callable[[], bool], limit_s: float = 20.0) -> None:
    async with asyncio.timeout(limit_s):
        while not cond():  # noqa: ASYNC110 - the simulator's state has no event to await
            await asyncio.sleep(0.05)


async def visible(v: CcxtVenue, cid: str, limit_s: float = 5.0) -> Order | None:
    """The order once the venue shows it (a fresh one may not be visible at once)."""
    async with asyncio.timeout(limit_s):
        while (found := await v.fetch_order_by_client_id(cid, SYMBOL)) is None:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    return found


class VenueSuite:
    cls: ClassVar[type[CcxtVenue]]

    @property
    def vid(self) -> str:
        return self.cls.id.value

    async def test_rules_book_trades_balance(self) -> None:
        async with venue_on_sim(self.cls) as (_world, v):
            rules = v.rules[SYMBOL]
            assert rules.venue_symbol == VSYM and rules.tick_size > 0 and rules.qty_step > 0
            assert rules.taker_fee == Decimal(str(v.settings.taker_fee_bps)) / 10_000
            book = await v.fetch_order_book(SYMBOL, 20)
            assert book.venue is self.cls.id and len(book.bids) == 20
            for _ in range(5):
                live = await asyncio.wait_for(v.watch_order_book(SYMBOL), 30)
            assert live.best_bid is not None and live.best_ask is not None
            assert live.sequence > 0
            trades = await asyncio.wait_for(v.watch_trades(SYMBOL), 30)
            assert trades and all(t.symbol == SYMBOL and t.size > 0 for t in trades)
            balances = await v.fetch_balance()
            assert balances["USDT"].free == Decimal(100_000) and balances["WIF"].free > 0
            assert v.health().connected and v.health().state.value == "ok"

    async def test_order_lifecycle(self) -> None:
        async with venue_on_sim(self.cls) as (world, v):
            book = await v.fetch_order_book(SYMBOL, 5)
            assert book.best_bid is not None
            low = v.rules[SYMBOL].round_price(
                Decimal(str(book.best_bid)) * Decimal("0.8"), Side.BUY
            )
            o = await v.create_order(
                "dxconf-lim", SYMBOL, Side.BUY, OrderType.LIMIT, Decimal(10), low
            )
            assert o.status is OrderStatus.OPEN and o.client_order_id == "dxconf-lim"
            assert o.ts_ack is not None and o.ts_sent is not None and o.ts_ack >= o.ts_sent
            got = await visible(v, "dxconf-lim")  # MEXC: -2013 for a moment after a create
            assert got is not None and got.venue_order_id == o.venue_order_id
            assert [x.client_order_id for x in await v.open_orders(SYMBOL)] == ["dxconf-lim"]
            gone = await v.cancel_order("dxconf-lim", SYMBOL)
            assert gone.status is OrderStatus.CANCELED
            m = await v.create_order("dxconf-mkt", SYMBOL, Side.SELL, OrderType.MARKET, Decimal(25))
            assert m.status is OrderStatus.FILLED and m.filled_qty == Decimal(25)
            assert m.avg_price is not None and m.avg_price <= Decimal(str(book.best_bid)) * Decimal(
                "1.01"
            )
            # the same client order id again: the venue refuses, the adapter answers with
            # the order that exists — never a second one
            again = await v.create_order(
                "dxconf-mkt", SYMBOL, Side.SELL, OrderType.MARKET, Decimal(25)
            )
            assert again.venue_order_id == m.venue_order_id
            assert placed(world, self.vid, "dxconf-mkt") == 1
            assert await v.fetch_order_by_client_id("dxnever", SYMBOL) is None
            with pytest.raises(NotFound):
                await v.cancel_order("dxnever", SYMBOL)
            with pytest.raises(Rejected) as exc:
                await v.create_order(
                    "dxconf-big", SYMBOL, Side.BUY, OrderType.MARKET, Decimal(10**9)
                )
            assert exc.value.reason in ("insufficient_funds", "invalid_order")

    async def test_lost_answer_never_places_twice(self) -> None:
        # 2.5 s answers for 2 s: the create times out, the lookups after the window find it
        slow = Fault(at_s=0, kind=FaultKind.SLOW, target=self.vid, duration_s=2, delay_ms=2500)
        async with venue_on_sim(self.cls, timeout_s=1.0, speed=1.0) as (world, v):
            world.faults.arm([slow], world.market.now, world.market.schedule)
            await until(lambda: world.faults.window(self.vid, FaultKind.SLOW) is not None)
            # The create reaches the venue, its answer comes after the client gave up; the
            # adapter looks the order up by client order id instead of placing again.
            o = await v.create_order("dxlost", SYMBOL, Side.BUY, OrderType.MARKET, Decimal(10))
            assert o.client_order_id == "dxlost" and o.status is OrderStatus.FILLED
            assert placed(world, self.vid, "dxlost") == 1
            # a caller that retries anyway (e.g. after a restart) still gets the one order
            again = await v.create_order("dxlost", SYMBOL, Side.BUY, OrderType.MARKET, Decimal(10))
            assert again.venue_order_id == o.venue_order_id
            assert placed(world, self.vid, "dxlost") == 1

    async def test_429_is_rate_limited_with_retry_after_and_counted(self) -> None:
        limit = Fault(
            at_s=0, kind=FaultKind.RATE_LIMIT, target=self.vid, duration_s=3000, retry_after_s=7
        )
        async with venue_on_sim(self.cls) as (world, v):
            world.faults.arm([limit], world.market.now, world.market.schedule)
            await until(lambda: world.faults.window(self.vid, FaultKind.RATE_LIMIT) is not None)
            with pytest.raises(RateLimited) as exc:
                await v.fetch_order_book(SYMBOL)
            assert isinstance(exc.value, RetryLater)
            if self.cls.id is VenueId.MEXC:  # Bybit's HTTP 429 carries no Retry-After [U]
                assert exc.value.retry_after_s == 7
            assert v.health().rate_limited == 1

    async def test_5xx_is_temporary_and_an_order_during_it_is_not_placed(self) -> None:
        down = Fault(at_s=0, kind=FaultKind.SERVER_ERROR, target=self.vid, duration_s=3000)
        async with venue_on_sim(self.cls) as (world, v):
            world.faults.arm([down], world.market.now, world.market.schedule)
            await until(lambda: world.faults.window(self.vid, FaultKind.SERVER_ERROR) is not None)
            with pytest.raises(TemporarilyUnavailable):
                await v.fetch_balance()
            with pytest.raises(OrderOutcomeUnknown) as exc:
                await v.create_order("dx5xx", SYMBOL, Side.BUY, OrderType.MARKET, Decimal(10))
            assert exc.value.client_order_id == "dx5xx"
            assert placed(world, self.vid, "dx5xx") == 0
            assert v.health().errors >= 2

    async def test_malformed_and_duplicate_frames_are_counted_and_the_stream_goes_on(self) -> None:
        faults = (
            Fault(at_s=4, kind=FaultKind.MALFORMED, target=self.vid, count=8),
            Fault(at_s=8, kind=FaultKind.DUPLICATE, target=self.vid, count=8),
        )
        # one asset: the frame faults hit this client's streams, not someone else's
        async with venue_on_sim(self.cls, *faults, assets=["wif"]) as (world, v):
            counts = {"books": 0, "trades": 0}

            async def books() -> None:
                while world.market.now < world.scenario.start_ms + 20_000:
                    await v.watch_order_book(SYMBOL)
                    counts["books"] += 1

            async def trades() -> None:
                while world.market.now < world.scenario.start_ms + 20_000:
                    counts["trades"] += len(await v.watch_trades(SYMBOL))

            async with asyncio.timeout(40):
                await asyncio.gather(books(), trades())
            assert v.tracker.rejected_total >= 8
            reasons = set(v.tracker.rejected)
            assert "duplicate_frame" in reasons, reasons
            assert reasons - {"duplicate_frame", "unknown_market"}, reasons  # malformed ones too
            assert counts["books"] > 20 and counts["trades"] > 5
            assert v.health().connected

    async def test_sequence_gap_forces_a_resync_that_ends_in_the_true_book(self) -> None:
        gap = Fault(at_s=6, kind=FaultKind.SEQ_GAP, target=self.vid)
        async with venue_on_sim(self.cls, gap) as (world, v):
            async with asyncio.timeout(40):
                while v.tracker.resyncs == 0 or world.market.now < world.scenario.start_ms + 20_000:
                    await v.watch_order_book(SYMBOL)
            await v.watch_order_book(SYMBOL)
            world.pause()
            book = v.pro.orderbooks[SYMBOL]
            truth_b, truth_a = world.exchanges[self.vid].books[VSYM].snapshot(20)
            with contextlib.suppress(TimeoutError):  # every frame in flight arrives
                await until(
                    lambda: (
                        [tuple(x) for x in book["bids"][:20]] == truth_b
                        and [tuple(x) for x in book["asks"][:20]] == truth_a
                    ),
                    10,
                )
            assert [tuple(x) for x in book["bids"][:20]] == truth_b
            assert [tuple(x) for x in book["asks"][:20]] == truth_a
            world.resume()


class TestMexcVenue(VenueSuite):
    cls = MexcVenue


class TestBybitVenue(VenueSuite):
    cls = BybitVenue


async def test_mexc_spreads_many_markets_over_connections_within_its_limit() -> None:
    """MEXC refuses a 31st subscription on one connection; 20 markets (40 subscriptions)
    must still all stream, over two connections."""
    sc = load_scenario("100-assets")
    markets = [CexMarket(VenueId.MEXC, a.cex[VenueId.MEXC]) for a in sc.asset_configs()[:20]]
    async with run_sim(sc, speed=2.0) as world:
        assert world.clock is not None
        settings = VenueSettings(
            rest_url=world.urls["mexc_rest"],
            ws_url=world.urls["mexc_ws"],
            ccxt_throttle=False,
        )
        v = MexcVenue(settings, markets, world.clock)
        try:
            assert len({id(v.pro_for(m.symbol)) for m in markets}) == 2
            await v.load_markets()

            async def one(symbol: str) -> None:
                await v.watch_order_book(symbol)
                await v.watch_trades(symbol)

            async with asyncio.timeout(40):
                await asyncio.gather(*(one(m.symbol) for m in markets))
        finally:
            await v.close()
