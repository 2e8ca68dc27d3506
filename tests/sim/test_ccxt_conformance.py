"""The simulator speaks MEXC and Bybit well enough for ccxt and ccxt.pro themselves.

One suite, run against both venues (a subclass each): markets, book, trades, ticker,
balances, the order lifecycle with client order ids, and websocket book and trades that
agree with the simulator's own state.
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from typing import Any, ClassVar

import ccxt.async_support as ccxt_rest
import ccxt.pro as ccxt_pro
import pytest

from dexcex.sim.world import SimWorld, run_sim
from dexcex.venues.bybit import constants as bybit_c
from dexcex.venues.mexc import constants as mexc_c
from tests.waiting import until

SYMBOL = "WIF/USDT"
VENUE_SYMBOL = "WIFUSDT"
KEYS = {"apiKey": "sim-key", "secret": "sim-secret", "enableRateLimit": False}


@pytest.fixture
async def world() -> AsyncIterator[SimWorld]:
    async with run_sim("default", speed=4.0) as w:
        yield w


class VenueConformance(ABC):
    venue: ClassVar[str]
    # What ccxt raises for a duplicate client order id. MEXC does not document its answer;
    # the simulator's -2010 is ccxt's generic ExchangeError, our adapter maps it itself.
    duplicate_error: ClassVar[type[Exception]]

    @abstractmethod
    def rest(self, urls: dict[str, str]) -> Any:
        """Each venue's own."""

    @abstractmethod
    def pro(self, urls: dict[str, str]) -> Any:
        """Each venue's own."""

    @abstractmethod
    def fetch_by_client_id(self, ex: Any, cid: str) -> Any:
        """Each venue's own."""

    async def test_markets_book_trades_ticker(self, world: SimWorld) -> None:
        ex = self.rest(world.urls)
        try:
            markets = await ex.load_markets()
            assert {"WIF/USDT", "BONK/USDT", "PEPE/USDT", "CAKE/USDT", "POL/USDT"} <= set(markets)
            m = markets[SYMBOL]
            assert m["active"] and m["spot"] and m["precision"]["price"] > 0
            book = await ex.fetch_order_book(SYMBOL, 20)
            assert book["bids"] and book["asks"]
            assert book["bids"][0][0] < book["asks"][0][0]
            assert [b[0] for b in book["bids"]] == sorted(
                (b[0] for b in book["bids"]), reverse=True
            )
            view = world.cex_views[(self.venue, VENUE_SYMBOL)]
            await until(lambda: len(view.trades) > 0, what="trades on the venue")
            trades = await ex.fetch_trades(SYMBOL, limit=20)
            assert trades and all(t["side"] in ("buy", "sell") and t["amount"] > 0 for t in trades)
            ticker = await ex.fetch_ticker(SYMBOL)
            assert ticker["bid"] < ticker["ask"] and ticker["last"] > 0
        finally:
            await ex.close()

    async def test_order_lifecycle_with_client_order_ids(self, world: SimWorld) -> None:
        ex = self.rest(world.urls)
        try:
            await ex.load_markets()
            bal0 = await ex.fetch_balance()
            usdt0 = bal0["free"]["USDT"]
            bid = (await ex.fetch_order_book(SYMBOL, 5))["bids"][0][0]
            resting = await ex.create_order(
                SYMBOL, "limit", "buy", 10, round(bid * 0.8, 4), {"clientOrderId": "dxconf-rest"}
            )
            got = await self.fetch_by_client_id(ex, "dxconf-rest")
            assert got["id"] == resting["id"]
            assert got["clientOrderId"] == "dxconf-rest"
            assert got["status"] == "open" and got["filled"] == 0
            with pytest.raises(self.duplicate_error, match=r"(?i)duplicate"):
                await ex.create_order(
                    SYMBOL,
                    "limit",
                    "buy",
                    10,
                    round(bid * 0.8, 4),
                    {"clientOrderId": "dxconf-rest"},
                )
            assert (
                len(
                    [
                        o
                        for o in world.exchanges[self.venue].orders.values()
                        if o.client_id == "dxconf-rest"
                    ]
                )
                == 1
            )
            await ex.cancel_order(resting["id"], SYMBOL)
            gone = await self.fetch_by_client_id(ex, "dxconf-rest")
            assert gone["status"] == "canceled"

            sold = await ex.create_order(
                SYMBOL, "market", "sell", 50, None, {"clientOrderId": "dxconf-mkt"}
            )
            done = await self.fetch_by_client_id(ex, "dxconf-mkt")
            assert done["id"] == sold["id"] and done["status"] == "closed"
            assert done["filled"] == pytest.approx(50)
            assert 0.9 * bid < done["average"] <= bid * 1.001
            bal1 = await ex.fetch_balance()
            fee = world.exchanges[self.venue].taker_fee
            assert bal1["free"]["USDT"] - usdt0 == pytest.approx(
                50 * done["average"] * (1 - fee), rel=1e-6
            )
        finally:
            await ex.close()

    async def test_websocket_book_and_trades_match_the_simulator(self, world: SimWorld) -> None:
        ex = self.pro(world.urls)
        try:
            for _ in range(5):
                book = await asyncio.wait_for(ex.watch_order_book(SYMBOL), 30)
            trades = await asyncio.wait_for(ex.watch_trades(SYMBOL), 30)
            assert trades and trades[-1]["symbol"] == SYMBOL
            world.pause()
            truth_bids, truth_asks = world.exchanges[self.venue].books[VENUE_SYMBOL].snapshot(20)
            book = ex.orderbooks[SYMBOL]
            with contextlib.suppress(AssertionError):  # every frame in flight arrives
                await until(
                    lambda: (
                        [tuple(x) for x in book["bids"][:20]] == truth_bids
                        and [tuple(x) for x in book["asks"][:20]] == truth_asks
                    ),
                    10,
                )
            assert [tuple(x) for x in book["bids"][:20]] == truth_bids
            assert [tuple(x) for x in book["asks"][:20]] == truth_asks
            recent = {
                (t.price, t.size, t.t) for t in world.cex_views[(self.venue, VENUE_SYMBOL)].trades
            }
            assert all((t["price"], t["amount"], t["timestamp"]) in recent for t in trades)
        finally:
            world.resume()
            await ex.close()


class TestMexc(VenueConformance):
    venue = "mexc"
    duplicate_error = ccxt_rest.ExchangeError

    def rest(self, urls: dict[str, str]) -> Any:
        ex = ccxt_rest.mexc(dict(KEYS))
        mexc_c.trade_only_options(ex)  # the key is trade-only: no capital/config/getall
        mexc_c.apply_base_urls(ex, urls["mexc_rest"], None)
        return ex

    def pro(self, urls: dict[str, str]) -> Any:
        ex = ccxt_pro.mexc({"enableRateLimit": False})
        mexc_c.apply_base_urls(ex, urls["mexc_rest"], urls["mexc_ws"])
        return ex

    async def fetch_by_client_id(self, ex: Any, cid: str) -> Any:
        # a fresh order "does not exist" for a moment (-2013): ask again, bounded
        for _ in range(20):
            try:
                return await ex.fetch_order(None, SYMBOL, {"clientOrderId": cid})
            except ccxt_rest.ExchangeError as exc:
                if "-2013" not in str(exc):
                    raise
                await asyncio.sleep(0.1)
        raise AssertionError(f"{cid} never became visible")


class TestBybit(VenueConformance):
    venue = "bybit"
    duplicate_error = ccxt_rest.InvalidOrder

    def rest(self, urls: dict[str, str]) -> Any:
        ex = ccxt_rest.bybit(dict(KEYS))
        bybit_c.spot_only_options(ex)
        bybit_c.apply_base_urls(ex, urls["bybit_rest"], None)
        return ex

    def pro(self, urls: dict[str, str]) -> Any:
        ex = ccxt_pro.bybit({"enableRateLimit": False})
        bybit_c.spot_only_options(ex)
        bybit_c.apply_base_urls(ex, urls["bybit_rest"], urls["bybit_ws"])
        return ex

    async def fetch_by_client_id(self, ex: Any, cid: str) -> Any:
        # orderLinkId alone: fetch_order(None, …) would send orderId=None, which wins
        market = ex.market(SYMBOL)
        q = {"category": "spot", "symbol": market["id"], "orderLinkId": cid}
        rows = (await ex.privateGetV5OrderRealtime(q))["result"]["list"]
        assert len(rows) == 1, rows
        return ex.parse_order(rows[0], market)


# --- the real venues' surprises, which plain ccxt meets on the simulator too -------------


async def test_bybit_fetch_order_by_link_id_alone_is_lost_to_order_id_priority(
    world: SimWorld,
) -> None:
    ex = TestBybit().rest(world.urls)
    try:
        await ex.load_markets()
        await ex.create_order(SYMBOL, "market", "sell", 5, None, {"clientOrderId": "dxprio"})
        with pytest.raises(ccxt_rest.OrderNotFound):  # orderId=None went on the wire
            await ex.fetch_order(None, SYMBOL, {"orderLinkId": "dxprio", "acknowledged": True})
        assert (await TestBybit().fetch_by_client_id(ex, "dxprio"))["status"] == "closed"
    finally:
        await ex.close()


async def test_mexc_load_markets_with_a_trade_only_key_needs_no_wallet_endpoint(
    world: SimWorld,
) -> None:
    plain = ccxt_rest.mexc(dict(KEYS))
    mexc_c.apply_base_urls(plain, world.urls["mexc_rest"], None)
    try:
        with pytest.raises(ccxt_rest.AuthenticationError, match="700007"):
            await plain.load_markets()  # capital/config/getall needs withdraw permission
    finally:
        await plain.close()
    ex = TestMexc().rest(world.urls)
    try:
        assert SYMBOL in await ex.load_markets()
    finally:
        await ex.close()


async def test_a_quiet_venue_answers_what_plain_ccxt_assumes() -> None:
    from dexcex.sim.scenario import Realism, load_scenario

    sc = load_scenario("default").model_copy(update={"realism": Realism.quiet()})
    async with run_sim(sc, speed=4.0) as quiet:
        ex = TestBybit().rest(quiet.urls)
        try:
            await ex.load_markets()
            await ex.create_order(SYMBOL, "market", "sell", 5, None, {"clientOrderId": "dxq"})
            got = await ex.fetch_order(None, SYMBOL, {"orderLinkId": "dxq", "acknowledged": True})
            assert got["clientOrderId"] == "dxq"
        finally:
            await ex.close()
        plain = ccxt_rest.mexc(dict(KEYS))
        mexc_c.apply_base_urls(plain, quiet.urls["mexc_rest"], None)
        try:
            assert SYMBOL in await plain.load_markets()  # no permission gate
            o = await plain.create_order(SYMBOL, "market", "sell", 5, None, {"clientOrderId": "q"})
            assert (await plain.fetch_order(o["id"], SYMBOL))["id"] == o["id"]  # no -2013
        finally:
            await plain.close()
