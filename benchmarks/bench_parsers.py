"""Connector budgets: parse throughput per message type (decode + validate + convert,
messages/s on one core) and REST round-trip overhead on loopback (our adapter vs a bare
HTTP client on the same simulated endpoint)."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
from ccxt.protobuf.mexc import PushDataV3ApiWrapper_pb2 as pb
from google.protobuf.json_format import MessageToDict
from pydantic import SecretStr

from dexcex.config import VenueSettings, load_settings
from dexcex.domain import CexMarket, Chain, VenueId
from dexcex.sim.servers.mexc.frames import deals_frame, depth_frame
from dexcex.sim.world import run_sim
from dexcex.sources.birdeye.parse import frame_type, parse_txs_frame
from dexcex.sources.dexscreener.parse import parse_pairs
from dexcex.sources.index import AssetIndex
from dexcex.venues.bybit.parse import parse_book_message, parse_trade_message
from dexcex.venues.ccxt_parse import book_from_ccxt
from dexcex.venues.mexc.client import MexcVenue
from dexcex.venues.mexc.parse import parse_deals_push, parse_depth_push

RES = Path(__file__).resolve().parent.parent / "tests" / "resources"
T = 1_767_225_600_000


def rate(fn: Callable[[], Any], seconds: float = 1.0) -> float:
    n, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(200):
            fn()
        n += 200
    return n / (time.perf_counter() - started)


def mexc_decode(frame: bytes) -> dict[str, Any]:
    msg = pb.PushDataV3ApiWrapper()
    msg.ParseFromString(frame)
    return MessageToDict(msg)


def parsers() -> None:
    levels = [(f"1.{2000 + i}", f"{100 + i}.5") for i in range(10)]
    depth = depth_frame("WIFUSDT", levels, levels, 1000, 1005, T)
    deals = deals_frame("WIFUSDT", [("1.2000", "100.00", 1, T)], T)
    book_delta = json.dumps(
        {
            "topic": "orderbook.50.WIFUSDT",
            "type": "delta",
            "ts": T,
            "data": {
                "s": "WIFUSDT",
                "b": [list(x) for x in levels],
                "a": [list(x) for x in levels],
                "u": 7,
                "seq": 9,
            },
            "cts": T,
        }
    ).encode()
    trade = json.dumps(
        {
            "topic": "publicTrade.WIFUSDT",
            "type": "snapshot",
            "ts": T,
            "data": [
                {"T": T, "s": "WIFUSDT", "S": "Buy", "v": "10", "p": "1.2", "i": "abc", "BT": False}
            ],
        }
    ).encode()
    idx = AssetIndex(load_settings().domain_assets())
    txs = json.loads((RES / "birdeye" / "ws" / "txs_data.json").read_text())
    txs["data"]["to"]["address"] = "EKpQGSJtjMFqKZ9KQanSqYXRcF8fBopzLHYxdM65zcjm"  # WIF, watched
    txs_raw = json.dumps(txs).encode()
    pair = json.loads((RES / "dexscreener" / "http" / "token_pairs_v1.json").read_text())[0]
    pools = [p.address for _, p in idx.pools.items() if p.chain is Chain.SOLANA]
    pairs_raw = json.dumps(
        [dict(pair, pairAddress=pools[i % len(pools)]) for i in range(30)]
    ).encode()
    ccxt_book = {
        "bids": [[1.2 - i * 1e-4, 100.0] for i in range(50)],
        "asks": [[1.21 + i * 1e-4, 100.0] for i in range(50)],
        "timestamp": T,
    }
    dec = msgspec.json.decode
    cases: dict[str, Callable[[], Any]] = {
        "mexc depth push (protobuf, 10+10 levels)": lambda: parse_depth_push(mexc_decode(depth)),
        "mexc deals push (protobuf, 1 deal)": lambda: parse_deals_push(mexc_decode(deals)),
        "bybit orderbook delta (json, 10+10 levels)": lambda: parse_book_message(dec(book_delta)),
        "bybit publicTrade (json, 1 trade)": lambda: parse_trade_message(dec(trade)),
        "birdeye TXS_DATA (json → DexSwap)": lambda: parse_txs_frame(
            frame_type(txs_raw)[1], Chain.SOLANA, idx, T
        ),
        "dexscreener pairs (json, 30 pairs)": lambda: parse_pairs(dec(pairs_raw), idx, T),
        "ccxt book → OrderBook (50+50 levels)": lambda: book_from_ccxt(
            ccxt_book, VenueId.MEXC, "WIF/USDT", 1, T
        ),
    }
    for name, fn in cases.items():
        print(f"{name:46s} {rate(fn):>12,.0f} msgs/s")


async def _rest_overhead(n: int = 200) -> None:
    async with run_sim("default", speed=1.0) as world:
        url = world.urls["mexc_rest"]
        # ccxt's transport is aiohttp: the bare baseline uses it too, so the difference
        # is what ccxt's request building and parsing plus our layers cost
        async with aiohttp.ClientSession() as c:
            bare = []
            for _ in range(n):
                t = time.perf_counter()
                async with c.get(
                    f"{url}/api/v3/depth", params={"symbol": "WIFUSDT", "limit": "50"}
                ) as r:
                    await r.json()
                bare.append((time.perf_counter() - t) * 1000)
        assert world.clock is not None
        s = VenueSettings(
            rest_url=url,
            ws_url=world.urls["mexc_ws"],
            api_key=SecretStr("sim-key"),
            api_secret=SecretStr("sim-secret"),
            ccxt_throttle=False,
        )
        v = MexcVenue(s, [CexMarket(VenueId.MEXC, "WIF/USDT")], world.clock)
        try:
            await v.load_markets()
            ours = []
            for _ in range(n):
                t = time.perf_counter()
                await v.fetch_order_book("WIF/USDT", 50)
                ours.append((time.perf_counter() - t) * 1000)
        finally:
            await v.close()
    b, o = statistics.median(bare), statistics.median(ours)
    print(
        f"REST order book on loopback, {n} requests: bare aiohttp p50 {b:.2f} ms, "
        f"adapter (ccxt + ours) p50 {o:.2f} ms, overhead {o - b:.2f} ms ({o / b:.1f}x)"
    )


def run() -> None:
    parsers()
    asyncio.run(_rest_overhead())


if __name__ == "__main__":
    run()
