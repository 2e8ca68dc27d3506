"""Websocket lifecycle as the venues have it (realism on): MEXC closes a connection with
no subscription, one with no data (a PING keeps it), and every one at its maximum age;
Bybit one that does not ping. The connectors reconnect and carry on."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import websockets
from pydantic import SecretStr

from dexcex.config import VenueSettings
from dexcex.domain import CexMarket, DexcexError
from dexcex.sim.scenario import Fault, FaultKind, Realism, load_scenario
from dexcex.sim.world import SimWorld, run_sim
from dexcex.venues.bybit.client import BybitVenue
from dexcex.venues.ccxt_venue import CcxtVenue
from dexcex.venues.mexc.client import MexcVenue

DEALS = "spot@public.aggre.deals.v3.api.pb@100ms@WIFUSDT"


@asynccontextmanager
async def world(*faults: Fault, **realism: Any) -> AsyncIterator[SimWorld]:
    sc = load_scenario("default").model_copy(
        update={"assets": ["wif"], "faults": list(faults), "realism": Realism(**realism)}
    )
    async with run_sim(sc, speed=2.0) as w:
        yield w


async def closed_after(ws: Any, limit_s: float, ping: str | None = None) -> float:
    """Seconds until the server closed ``ws`` (``limit_s`` if it did not), reading all
    along and pinging every 0.3 s if asked."""
    started = time.monotonic()

    async def read() -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for _ in ws:
                pass

    reader = asyncio.ensure_future(read())
    while not reader.done() and time.monotonic() - started < limit_s:
        if ping is not None:
            with contextlib.suppress(websockets.ConnectionClosed):
                await ws.send(ping)
        await asyncio.wait([reader], timeout=0.3)
    took = time.monotonic() - started
    reader.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await reader
    return min(took, limit_s)


async def test_mexc_closes_a_connection_that_subscribes_to_nothing() -> None:
    async with world(mexc_ws_no_sub_s=1.0) as w:
        ws = await websockets.connect(w.urls["mexc_ws"])
        took = await closed_after(ws, 5)
        assert 0.9 <= took < 3 and ws.close_code is not None


async def test_mexc_closes_a_quiet_connection_unless_it_pings() -> None:
    stale = Fault(at_s=0, kind=FaultKind.STALE, target="mexc", duration_s=600)
    async with world(stale, mexc_ws_no_data_s=1.5) as w:
        quiet = await websockets.connect(w.urls["mexc_ws"])
        await quiet.send(json.dumps({"method": "SUBSCRIPTION", "params": [DEALS]}))
        took = await closed_after(quiet, 6)
        assert 1.4 <= took < 4
        pinging = await websockets.connect(w.urls["mexc_ws"])
        await pinging.send(json.dumps({"method": "SUBSCRIPTION", "params": [DEALS]}))
        assert await closed_after(pinging, 3.5, ping='{"method":"PING"}') >= 3.4  # still open
        await pinging.close()


async def test_mexc_closes_every_connection_at_its_maximum_age() -> None:
    async with world(mexc_ws_max_age_s=4.0, ws_time_scale=2.0) as w:  # 4 s / 2
        ws = await websockets.connect(w.urls["mexc_ws"])
        await ws.send(json.dumps({"method": "SUBSCRIPTION", "params": [DEALS]}))
        took = await closed_after(ws, 6, ping='{"method":"PING"}')  # busy, and pinging
        assert 1.9 <= took < 4


async def test_bybit_drops_a_connection_that_does_not_ping() -> None:
    async with world(bybit_ws_no_ping_s=1.5) as w:
        silent = await websockets.connect(w.urls["bybit_ws"])
        await silent.send(json.dumps({"op": "subscribe", "args": ["publicTrade.WIFUSDT"]}))
        assert 1.4 <= await closed_after(silent, 6) < 4
        pinging = await websockets.connect(w.urls["bybit_ws"])
        assert await closed_after(pinging, 3.5, ping='{"op":"ping"}') >= 3.4
        await pinging.close()


def venue(cls: type[CcxtVenue], w: SimWorld) -> CcxtVenue:
    vid = cls.id.value
    s = VenueSettings(
        rest_url=w.urls[f"{vid}_rest"],
        ws_url=w.urls[f"{vid}_ws"],
        api_key=SecretStr("sim-key"),
        api_secret=SecretStr("sim-secret"),
        ccxt_throttle=False,
    )
    assert w.clock is not None
    return cls(s, [CexMarket(cls.id, "WIF/USDT")], w.clock)


async def books_for(v: CcxtVenue, seconds: float) -> list[float]:
    """Watch books for ``seconds`` as the pipeline's streams do: a failure is retried."""
    got: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            async with asyncio.timeout(max(0.1, end - time.monotonic())):
                await v.watch_order_book("WIF/USDT")
            got.append(time.monotonic())
        except DexcexError:
            await asyncio.sleep(0.1)
        except TimeoutError:
            break
    return got


async def test_the_mexc_connector_reconnects_after_each_close_and_streams_on() -> None:
    async with world(mexc_ws_max_age_s=2.0) as w:
        v = venue(MexcVenue, w)
        try:
            await v.load_markets()
            got = await books_for(v, 8.0)
        finally:
            await v.close()
        assert v.tracker.reconnects >= 2, v.tracker.reconnects
        assert got and got[-1] > time.monotonic() - 2.5  # books after the last reconnect
        assert w.servers[0].stream.lifecycle.closed["max_age"] >= 2  # type: ignore[attr-defined]


@pytest.mark.parametrize("keep_alive_ms", [1000])
async def test_ccxt_pings_keep_a_bybit_connection(keep_alive_ms: int) -> None:
    # Bybit allows 10 min without a ping and ccxt pings every 18 s; the same ratio here
    async with world(bybit_ws_no_ping_s=3.0) as w:
        v = venue(BybitVenue, w)
        v.pro.streaming["keepAlive"] = keep_alive_ms
        try:
            await v.load_markets()
            got = await books_for(v, 7.0)
        finally:
            await v.close()
        assert got and v.tracker.reconnects == 0
