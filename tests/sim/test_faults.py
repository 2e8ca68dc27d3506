"""Every fault kind is produced when scheduled, observed by a plain test client, and logged."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import msgspec
import pytest
import websockets
from ccxt.protobuf.mexc import PushDataV3ApiWrapper_pb2 as pb
from google.protobuf.message import DecodeError

from dexcex.sim.market.events import FaultEv, SimEvent
from dexcex.sim.scenario import Fault, FaultKind, load_scenario
from dexcex.sim.world import SimWorld, run_sim
from tests.waiting import market_ms, until, until_market

SPEED = 10.0  # market seconds per wall second: a fault at_s=10 fires after ~1 s
WIF = "EKpQGSJtjMFqKZ9KQanSqYXRcF8fBopzLHYxdM65zcjm"


@asynccontextmanager
async def world_with(
    *faults: Fault, paused: bool = False
) -> AsyncIterator[tuple[SimWorld, list[FaultEv]]]:
    """A world whose scenario has ``faults``; ``paused``: its market frozen until the test
    resumes it (so a check of the state before a fault cannot come too late on a busy
    machine)."""
    sc = load_scenario("default").model_copy(update={"faults": list(faults)})
    async with run_sim(sc, speed=SPEED) as w:
        if paused:
            w.pause()
        seen: list[FaultEv] = []

        def grab(ev: SimEvent) -> None:
            if isinstance(ev, FaultEv):
                seen.append(ev)

        w.market.sinks.append(grab)
        yield w, seen


def hits(log: list[FaultEv], kind: str) -> list[str]:
    """Details of the frames a one-shot fault hit (its arming entry left out)."""
    return [f.detail for f in log if f.kind == kind and "#" in f.detail]


def at(w: SimWorld, at_s: float) -> float:
    """Wall time (time.time) when market time reaches start + at_s."""
    assert w.clock is not None
    return (w.clock.wall0_ms + (at_s * 1000) / w.speed) / 1000


async def mexc_ws(w: SimWorld, *channels: str) -> Any:
    ws = await websockets.connect(w.urls["mexc_ws"])
    await ws.send(json.dumps({"method": "SUBSCRIPTION", "params": list(channels)}))
    ack = json.loads(await ws.recv())
    assert ack["msg"] == ",".join(channels)
    return ws


async def bybit_ws(w: SimWorld, *topics: str) -> Any:
    ws = await websockets.connect(w.urls["bybit_ws"])
    await ws.send(json.dumps({"op": "subscribe", "args": list(topics), "req_id": "t"}))
    return ws


async def test_ws_disconnect_closes_the_connection() -> None:
    async with world_with(Fault(at_s=10, kind=FaultKind.WS_DISCONNECT, target="mexc")) as (w, log):
        ws = await mexc_ws(w, "spot@public.aggre.deals.v3.api.pb@100ms@WIFUSDT")
        with pytest.raises(websockets.ConnectionClosed):
            async with asyncio.timeout(15):
                while True:
                    await ws.recv()
        assert time.time() >= at(w, 10) - 0.05
        assert [(f.kind, f.target) for f in log] == [("ws_disconnect", "mexc")]
        # and the venue accepts a new connection right away
        ws2 = await mexc_ws(w, "spot@public.aggre.deals.v3.api.pb@100ms@WIFUSDT")
        await ws2.close()


async def test_rate_limit_answers_429_with_retry_after_then_recovers() -> None:
    fault = Fault(
        at_s=10, kind=FaultKind.RATE_LIMIT, target="bybit", duration_s=20, retry_after_s=3
    )
    async with (
        world_with(fault, paused=True) as (w, log),
        httpx.AsyncClient(base_url=w.urls["bybit_rest"]) as c,
    ):
        params = {"category": "spot", "symbol": "WIFUSDT"}
        assert (await c.get("/v5/market/orderbook", params=params)).status_code == 200
        w.resume()
        await until(lambda: any(f.kind == "rate_limit" for f in log))
        r = await c.get("/v5/market/orderbook", params=params)
        assert r.status_code == 429 and r.headers["Retry-After"] == "3"
        await until(lambda: any(f.detail == "end" for f in log))
        assert (await c.get("/v5/market/orderbook", params=params)).status_code == 200


async def test_server_error_answers_5xx_during_the_window() -> None:
    fault = Fault(at_s=5, kind=FaultKind.SERVER_ERROR, target="birdeye", duration_s=20, status=502)
    async with (
        world_with(fault) as (w, log),
        httpx.AsyncClient(base_url=w.urls["birdeye_rest"], headers={"X-API-KEY": "sim-key"}) as c,
    ):
        await until(lambda: bool(log))
        r = await c.get("/defi/price", params={"address": WIF})
        assert r.status_code == 502
        await until(lambda: any(f.detail == "end" for f in log))
        assert (await c.get("/defi/price", params={"address": WIF})).status_code == 200


async def test_slow_answers_late_but_the_order_was_placed() -> None:
    import ccxt.async_support as ccxt

    from dexcex.venues.mexc.constants import apply_base_urls, trade_only_options

    fault = Fault(at_s=5, kind=FaultKind.SLOW, target="mexc", duration_s=60, delay_ms=1500)
    async with world_with(fault) as (w, log):
        ex = ccxt.mexc(
            {
                "apiKey": "sim-key",
                "secret": "sim-secret",
                "enableRateLimit": False,
                "timeout": 30_000,
            }
        )
        trade_only_options(ex)  # a trade-only key: no capital/config/getall
        apply_base_urls(ex, w.urls["mexc_rest"], None)
        try:
            await ex.load_markets()  # before the fault, with all the time a busy machine needs
            await until(lambda: bool(log))
            ex.timeout = 500  # the order gives up long before the venue's 1.5 s answer
            with pytest.raises(ccxt.RequestTimeout):
                await ex.create_order(
                    "WIF/USDT", "market", "buy", 5, None, {"clientOrderId": "dxslow1", "cost": 10}
                )
            # the answer never came, yet the venue has the order: exactly once
            placed = [o for o in w.exchanges["mexc"].orders.values() if o.client_id == "dxslow1"]
            assert len(placed) == 1
        finally:
            await ex.close()


async def test_stale_feed_stops_pushing_but_keeps_the_connection() -> None:
    fault = Fault(at_s=20, kind=FaultKind.STALE, target="bybit", duration_s=30)
    async with world_with(fault) as (w, log):
        ws = await bybit_ws(w, "publicTrade.WIFUSDT", "orderbook.50.WIFUSDT")
        stamps: list[float] = []
        async with asyncio.timeout(20):
            while time.time() < at(w, 60):
                msg = json.loads(await ws.recv())
                if "topic" in msg:
                    stamps.append(time.time())
        gaps = [b - a for a, b in itertools.pairwise(stamps)]
        longest = max(gaps)
        assert 2.5 <= longest <= 3.6  # 30 market s at speed 10, give or take a tick
        assert ws.state is websockets.State.OPEN
        await ws.close()
        assert [f.detail for f in log] == ["begin 30s", "end"]


async def test_sequence_gap_skips_exactly_one_delta_per_symbol() -> None:
    fault = Fault(at_s=10, kind=FaultKind.SEQ_GAP, target="mexc")
    async with world_with(fault) as (w, log):
        ws = await mexc_ws(w, "spot@public.aggre.depth.v3.api.pb@100ms@WIFUSDT")
        versions: list[tuple[int, int]] = []
        async with asyncio.timeout(20):
            while time.time() < at(w, 20):
                frame = await ws.recv()
                if isinstance(frame, bytes):
                    msg = pb.PushDataV3ApiWrapper()
                    msg.ParseFromString(frame)
                    d = msg.publicAggreDepths
                    versions.append((int(d.fromVersion), int(d.toVersion)))
        await ws.close()
        gaps = [b for a, b in itertools.pairwise(versions) if b[0] != a[1] + 1]
        assert len(gaps) == 1
        wif_gaps = [d for d in hits(log, "seq_gap") if "WIFUSDT" in d]
        assert len(wif_gaps) == 1


async def test_bybit_sequence_gap_shows_as_a_jump_in_u() -> None:
    fault = Fault(at_s=10, kind=FaultKind.SEQ_GAP, target="bybit")
    async with world_with(fault) as (w, _log):
        ws = await bybit_ws(w, "orderbook.50.WIFUSDT")
        us: list[int] = []
        async with asyncio.timeout(20):
            while time.time() < at(w, 20):
                msg = json.loads(await ws.recv())
                if msg.get("type") == "delta":
                    us.append(msg["data"]["u"])
        await ws.close()
        jumps = [b - a for a, b in itertools.pairwise(us) if b != a + 1]
        assert jumps == [2]


async def test_malformed_frames_arrive_in_every_variant() -> None:
    fault = Fault(at_s=10, kind=FaultKind.MALFORMED, target="mexc", count=4)
    channels = [
        f"spot@public.aggre.{k}.v3.api.pb@100ms@{s}"
        for k in ("deals", "depth", "bookTicker")
        for s in ("WIFUSDT", "BONKUSDT", "PEPEUSDT", "POPCATUSDT", "CAKEUSDT", "POLUSDT")
    ]
    async with world_with(fault) as (w, log):
        ws = await mexc_ws(w, *channels)
        bad = 0
        async with asyncio.timeout(20):
            while time.time() < at(w, 15):
                frame = await ws.recv()
                if isinstance(frame, str):
                    try:
                        json.loads(frame)
                    except json.JSONDecodeError:
                        bad += 1
                    continue
                msg = pb.PushDataV3ApiWrapper()
                try:
                    msg.ParseFromString(frame)
                except DecodeError:
                    bad += 1
                    continue
                deals = msg.publicAggreDeals.deals
                if any(d.price == "abc" for d in deals) or (
                    msg.HasField("publicAggreDepths") and not msg.publicAggreDepths.toVersion
                ):
                    bad += 1
        await ws.close()
        variants = sorted(d.split()[-1] for d in hits(log, "malformed"))
        assert variants == ["bad_encoding", "bad_json", "missing_fields", "wrong_types"]
        assert bad == 4


async def test_duplicated_frames_are_sent_twice() -> None:
    fault = Fault(at_s=10, kind=FaultKind.DUPLICATE, target="birdeye", count=3)
    async with world_with(fault) as (w, log):
        ws = await websockets.connect(
            w.urls["birdeye_ws"] + "/solana?x-api-key=sim-key",
            subprotocols=[websockets.Subprotocol("echo-protocol")],
        )
        await ws.send(
            json.dumps(
                {
                    "type": "SUBSCRIBE_TXS",
                    "data": {
                        "queryType": "complex",
                        "query": " OR ".join(
                            f"pairAddress = {p}" for p in w.pool_views if not p.startswith("0x")
                        ),
                    },
                }
            )
        )
        frames: list[str] = []
        async with asyncio.timeout(20):
            while len(hits(log, "duplicate")) < 3 or time.time() < at(w, 20):
                frames.append(await ws.recv())
        await ws.close()
        repeats = [a for a, b in itertools.pairwise(frames) if a == b and "TXS_DATA" in a]
        dup_streams = hits(log, "duplicate")
        assert len(dup_streams) == 3
        # the client watches the Solana pools only; EVM swaps were duplicated on other sockets
        on_solana = [d for d in dup_streams if not d.split(":")[2].startswith("0x")]
        assert on_solana  # the seeded schedule hits a Solana pool: this client sees it
        assert len(repeats) == len(on_solana)


async def test_down_refuses_rest_and_websockets() -> None:
    fault = Fault(at_s=10, kind=FaultKind.DOWN, target="mexc", duration_s=20)
    async with world_with(fault) as (w, log):
        ws = await mexc_ws(w, "spot@public.aggre.deals.v3.api.pb@100ms@WIFUSDT")
        await until(lambda: bool(log))
        with pytest.raises(websockets.ConnectionClosed):
            async with asyncio.timeout(5):
                while True:
                    await ws.recv()
        async with httpx.AsyncClient(base_url=w.urls["mexc_rest"]) as c:
            assert (await c.get("/api/v3/ping")).status_code == 503
            with pytest.raises(websockets.InvalidStatus):
                await websockets.connect(w.urls["mexc_ws"])
            await until(lambda: any(f.detail == "end" for f in log))
            assert (await c.get("/api/v3/ping")).status_code == 200


async def test_dexscreener_stale_freezes_answers_and_malformed_breaks_json() -> None:
    faults = [
        Fault(at_s=10, kind=FaultKind.STALE, target="dexscreener", duration_s=60),
        Fault(at_s=100, kind=FaultKind.MALFORMED, target="dexscreener", count=1),
    ]
    async with (
        world_with(*faults) as (w, log),
        httpx.AsyncClient(base_url=w.urls["dexscreener_rest"]) as c,
    ):
        await until(lambda: bool(log))
        url = f"/token-pairs/v1/solana/{WIF}"
        first = (await c.get(url)).json()
        await until_market(w, market_ms(w) + 15_000)  # 15 market seconds of trading
        assert (await c.get(url)).json() == first
        await until(lambda: any(f.kind == "malformed" for f in log))
        with pytest.raises(msgspec.DecodeError):
            msgspec.json.decode((await c.get(url)).content)
        assert (await c.get(url)).json() != first
