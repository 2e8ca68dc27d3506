"""Birdeye and DexScreener answers have the documented shape: every key of the examples
in shared/protocols (copied to tests/resources), with the same JSON types."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from dexcex.sim.servers.common import TokenBucket
from dexcex.sim.world import SimWorld, run_sim
from tests.waiting import until_market

RES = Path(__file__).parent.parent / "resources"
WIF = "EKpQGSJtjMFqKZ9KQanSqYXRcF8fBopzLHYxdM65zcjm"
WIF_POOL = "EP2ib6dYdEeqD8MfE2ezHCxX3kP3K2eLKkirfPm5eyMx"
PEPE = "0x6982508145454ce325ddbe47a25d4ec3d2311933"
TIME_KEYS = {"updateUnixTime", "blockUnixTime", "unixTime", "lastTradeUnixTime", "pairCreatedAt"}


def assert_same_shape(example: Any, actual: Any, path: str = "$") -> None:
    """Every key of ``example`` is in ``actual`` with the same JSON type; a null in the
    example accepts anything; list items are compared with the example's first item."""
    if example is None:
        return
    if isinstance(example, bool):
        assert isinstance(actual, bool), f"{path}: expected bool, got {actual!r}"
    elif isinstance(example, (int, float)):
        assert isinstance(actual, (int, float)) and not isinstance(actual, bool), (
            f"{path}: expected a number, got {actual!r}"
        )
        if path.rsplit(".", 1)[-1] in TIME_KEYS:
            assert isinstance(actual, int), f"{path}: a timestamp must be an integer"
    elif isinstance(example, str):
        assert isinstance(actual, str), f"{path}: expected a string, got {actual!r}"
    elif isinstance(example, list):
        assert isinstance(actual, list), f"{path}: expected a list, got {actual!r}"
        if example and actual:
            for i, item in enumerate(actual[:5]):
                assert_same_shape(example[0], item, f"{path}[{i}]")
    elif isinstance(example, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        missing = sorted(set(example) - set(actual))
        assert not missing, f"{path}: missing keys {missing}"
        for k, v in example.items():
            assert_same_shape(v, actual[k], f"{path}.{k}")


def example(rel: str) -> Any:
    return json.loads((RES / rel).read_text())


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def world() -> AsyncIterator[SimWorld]:
    async with run_sim("default", speed=30.0) as w:
        # a minute of market: swaps in every window
        await until_market(w, w.scenario.start_ms + 60_000)
        yield w


async def test_birdeye_rest_shapes(world: SimWorld) -> None:
    base = world.urls["birdeye_rest"]
    headers = {"X-API-KEY": "sim-key", "x-chain": "solana"}
    now_s = world.market.now // 1000
    async with httpx.AsyncClient(base_url=base, headers=headers) as c:
        cases = {
            "http/defi_price.json": ("/defi/price", {"address": WIF, "include_liquidity": "true"}),
            "http/defi_txs_token.json": ("/defi/txs/token", {"address": WIF, "limit": 5}),
            "http/defi_txs_pair.json": ("/defi/txs/pair", {"address": WIF_POOL, "limit": 5}),
            "http/defi_v3_token_market_data.json": ("/defi/v3/token/market-data", {"address": WIF}),
            "http/defi_token_overview.json": ("/defi/token_overview", {"address": WIF}),
            "http/defi_ohlcv.json": (
                "/defi/ohlcv",
                {"address": WIF, "type": "1m", "time_from": now_s - 3600, "time_to": now_s},
            ),
        }
        for rel, (path, params) in cases.items():
            r = await c.get(path, params=params)
            assert r.status_code == 200, (rel, r.text)
            assert_same_shape(example(f"birdeye/{rel}"), r.json(), rel)
        r = await c.get(
            "/defi/multi_price",
            params={"list_address": f"{WIF},unknownaddr", "include_liquidity": "true"},
        )
        multi = r.json()
        ex = example("birdeye/http/defi_multi_price.json")
        assert multi["success"] is True and multi["data"]["unknownaddr"] is None
        assert_same_shape(next(iter(ex["data"].values())), multi["data"][WIF], "multi_price")
        r = await c.post("/defi/multi_price", json={"list_address": WIF})
        assert r.json()["data"][WIF]["value"] > 0
        # errors in Birdeye's envelope
        r = await c.get("/defi/price", params={"address": WIF}, headers={"X-API-KEY": "wrong"})
        assert r.status_code == 401 and r.json() == {"success": False, "message": "Unauthorized"}
        r = await c.get("/defi/txs/token", params={"address": WIF, "limit": 500})
        assert r.status_code == 400 and r.json()["success"] is False


async def test_birdeye_websocket_shapes(world: SimWorld) -> None:
    url = world.urls["birdeye_ws"] + "/solana?x-api-key=sim-key"
    async with websockets.connect(
        url, subprotocols=[websockets.Subprotocol("echo-protocol")]
    ) as ws:
        assert ws.subprotocol == "echo-protocol"
        await ws.send(
            json.dumps({"type": "SUBSCRIBE_TXS", "data": {"queryType": "simple", "address": WIF}})
        )
        await ws.send(
            json.dumps(
                {
                    "type": "SUBSCRIBE_PRICE",
                    "data": {
                        "queryType": "simple",
                        "chartType": "1m",
                        "address": WIF,
                        "currency": "usd",
                    },
                }
            )
        )
        got: dict[str, dict[str, Any]] = {}
        async with asyncio.timeout(30):
            while len(got) < 2:
                msg = json.loads(await ws.recv())
                if msg["type"] in ("TXS_DATA", "PRICE_DATA"):
                    got[msg["type"]] = msg
    assert_same_shape(example("birdeye/ws/txs_data.json"), got["TXS_DATA"], "TXS_DATA")
    assert_same_shape(example("birdeye/ws/price_data.json"), got["PRICE_DATA"], "PRICE_DATA")
    data = got["TXS_DATA"]["data"]
    assert data["side"] in ("buy", "sell") and data["tokenAddress"] == WIF
    # the owner paid what is in "from": a buy pays the quote token
    paid = data["from"]["address"]
    assert (paid == WIF) == (data["side"] == "sell")
    assert data["from"]["uiChangeAmount"] < 0 < data["to"]["uiChangeAmount"]


async def test_birdeye_websocket_needs_the_key(world: SimWorld) -> None:
    with pytest.raises(websockets.InvalidStatus) as exc:
        async with websockets.connect(world.urls["birdeye_ws"] + "/solana?x-api-key=nope"):
            pass
    assert exc.value.response.status_code == 401


async def test_dexscreener_shapes_and_envelopes(world: SimWorld) -> None:
    async with httpx.AsyncClient(base_url=world.urls["dexscreener_rest"]) as c:
        r = await c.get(f"/latest/dex/pairs/solana/{WIF_POOL}")
        body = r.json()
        assert set(body) == {"schemaVersion", "pairs"}
        assert_same_shape(example("dexscreener/http/latest_dex_pairs.json"), body, "pairs")
        r = await c.get(f"/token-pairs/v1/solana/{WIF}")
        arr = r.json()
        assert isinstance(arr, list) and arr
        assert_same_shape(example("dexscreener/http/token_pairs_v1.json"), arr, "token-pairs")
        r = await c.get(f"/tokens/v1/ethereum/{PEPE},0x0000000000000000000000000000000000000001")
        pepe = r.json()
        assert {p["pairAddress"] for p in pepe} == {
            "0x11950d141ecb863f01007add7d1a342041227b58",
            "0xa43fe16908251ee70ef74718545e4fe6c5ccec9f",
        }
        pair = pepe[0]
        assert pair["chainId"] == "ethereum" and isinstance(pair["priceUsd"], str)
        assert set(pair["txns"]) == {"m5", "h1", "h6", "h24"}
        assert pair["txns"]["m5"]["buys"] + pair["txns"]["m5"]["sells"] > 0
        # unknown things: empty answers, never 404
        assert (await c.get("/tokens/v1/solana/nothinghere")).json() == []
        assert (await c.get("/latest/dex/pairs/solana/nothinghere")).json()["pairs"] is None
        found = (await c.get("/latest/dex/search", params={"q": "WIF/SOL"})).json()
        first = found["pairs"][0]
        # realism: some pools are listed the other way round (SOL the base, WIF the quote)
        sides = (first["baseToken"]["symbol"], first["quoteToken"]["symbol"])
        assert sides in (("WIF", "SOL"), ("SOL", "WIF"))


async def test_dexscreener_enforces_its_per_minute_limit(world: SimWorld) -> None:
    # the server's bucket on a clock the test moves: the limit is exact, however slow
    # the machine is
    now = [0.0]
    server = next(s for s in world.servers if s.name == "dexscreener")
    server.rest.bucket = TokenBucket(world.scenario.dexscreener_rate_per_min, 60.0, lambda: now[0])
    async with httpx.AsyncClient(base_url=world.urls["dexscreener_rest"]) as c:

        async def code() -> int:
            return (await c.get(f"/token-pairs/v1/solana/{WIF}")).status_code

        codes = [await code() for _ in range(301)]
        assert codes[:300] == [200] * 300
        assert codes[300] == 429
        now[0] += 1.0  # 5 requests a second come back
        assert [await code() for _ in range(6)] == [200] * 5 + [429]


def test_the_token_bucket_refills_continuously() -> None:
    now = [100.0]
    b = TokenBucket(300, 60.0, lambda: now[0])
    assert all(b.take() == 0.0 for _ in range(300))
    assert b.take() == pytest.approx(0.2)  # one token is back in 1/5 s
    now[0] += 0.2
    assert b.take() == 0.0
    now[0] += 3600
    assert sum(b.take() == 0.0 for _ in range(400)) == 300  # never above capacity
