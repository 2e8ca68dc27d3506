"""The venue adapters against a simulator that behaves like the real MEXC and Bybit
(docs/venues-reality.md): each test here fails against adapters that assume a kinder
venue."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from dexcex.config import VenueSettings, load_settings
from dexcex.domain import (
    CexMarket,
    ConfigError,
    ManualClock,
    OrderStatus,
    OrderType,
    RateLimited,
    Side,
    VenueId,
)
from dexcex.sim.scenario import AccountSpec, Realism, load_scenario
from dexcex.sim.servers.bybit.server import BybitServer
from dexcex.sim.world import SimWorld, run_sim
from dexcex.venues.bybit.client import BybitVenue
from dexcex.venues.ccxt_venue import CcxtVenue
from dexcex.venues.mexc.client import MexcVenue

SYMBOL = "WIF/USDT"


@asynccontextmanager
async def on_sim(
    cls: type[CcxtVenue], *, permissions: tuple[str, ...] = ("read", "trade"), **realism: Any
) -> AsyncIterator[tuple[SimWorld, CcxtVenue]]:
    sc = load_scenario("default").model_copy(
        update={
            "assets": ["wif"],
            "realism": Realism(**realism),
            "accounts": [AccountSpec(api_key="k", api_secret="s", permissions=permissions)],  # type: ignore[arg-type]
        }
    )
    async with run_sim(sc, speed=2.0) as world:
        vid = cls.id.value
        settings = VenueSettings(
            rest_url=world.urls[f"{vid}_rest"],
            ws_url=world.urls[f"{vid}_ws"],
            api_key=SecretStr("k"),
            api_secret=SecretStr("s"),
            timeout_s=5.0,
            ccxt_throttle=False,
        )
        assert world.clock is not None
        venue = cls(settings, [CexMarket(cls.id, SYMBOL)], world.clock)
        try:
            yield world, venue
        finally:
            await venue.close()


def bybit_limits(world: SimWorld) -> Any:
    (server,) = [s for s in world.servers if isinstance(s, BybitServer)]
    return server.limits


async def test_mexc_markets_load_with_a_trade_only_key() -> None:
    # capital/config/getall needs withdraw-read: 700007 for a trade-only key
    async with on_sim(MexcVenue) as (world, v):
        assert world.scenario.realism.permission_gate
        rules = await v.load_markets()
        assert SYMBOL in rules and rules[SYMBOL].qty_step > 0
        assert (await v.fetch_balance())["USDT"].free > 0


async def test_bybit_looks_orders_up_by_order_link_id_alone() -> None:
    async with on_sim(BybitVenue) as (_world, v):
        await v.load_markets()
        sent: list[str] = []
        fetch = v.rest.fetch

        async def recording(url: str, *a: Any, **k: Any) -> Any:
            sent.append(url)
            return await fetch(url, *a, **k)

        v.rest.fetch = recording
        o = await v.create_order("dxlink", SYMBOL, Side.SELL, OrderType.MARKET, Decimal(5))
        assert o.status is OrderStatus.FILLED and o.filled_qty == Decimal(5)
        lookups = [u for u in sent if "/v5/order/" in u and "orderLinkId=dxlink" in u]
        assert lookups and not [u for u in lookups if "orderId=" in u], lookups
        assert await v.fetch_order_by_client_id("dxnone", SYMBOL) is None
        gone = await v.cancel_order("dxlink", SYMBOL)  # final already: found, not NotFound
        assert gone.status is OrderStatus.FILLED


async def test_bybit_10006_waits_for_the_reset_and_only_on_that_endpoint() -> None:
    async with on_sim(BybitVenue, bybit_order_limit_per_s=2) as (world, v):
        await v.load_markets()
        met: list[float | None] = []
        tracker_hook = v.tracker.on_rate_limited

        def seen(retry_after_s: float | None = None) -> None:
            met.append(retry_after_s)
            tracker_hook(retry_after_s)

        v.tracker.on_rate_limited = seen  # type: ignore[method-assign]
        for i in range(6):  # 3 s worth at 2/s, sent in well under one
            o = await v.create_order(f"dxrl{i}", SYMBOL, Side.SELL, OrderType.MARKET, Decimal(1))
            assert o.status is OrderStatus.FILLED
        assert met, "the per-key limit of 2/s was never met"
        assert all(r is not None and 0 < r <= 1.0 for r in met), met  # from the reset header
        # the order-create class waits for the reset; market data is not held back
        async with asyncio.timeout(1.0):
            await v.fetch_order_book(SYMBOL, 5)
        placed = sorted(o.client_id for o in world.exchanges["bybit"].orders.values())
        assert placed == [f"dxrl{i}" for i in range(6)]  # each once: a 10006 placed nothing


async def test_bybit_403_is_an_ip_ban_and_nothing_is_sent_during_it() -> None:
    async with on_sim(BybitVenue, bybit_ip_limit_per_5s=40, bybit_ip_ban_s=600) as (world, v):
        await v.load_markets()
        with pytest.raises(RateLimited) as banned:
            for _ in range(100):
                await v.fetch_order_book(SYMBOL, 5)
        assert "IP banned" in str(banned.value) and banned.value.retry_after_s == 600
        limits = bybit_limits(world)
        assert limits.bans == 1
        seen = limits.requests
        for _ in range(10):  # a caller that keeps trying reaches nobody
            with pytest.raises(RateLimited, match="not sent"):
                await v.fetch_order_book(SYMBOL, 5)
        assert limits.requests == seen
        assert v.health().rate_limited >= 1


@pytest.mark.parametrize("cls", [MexcVenue, BybitVenue])
async def test_a_host_clock_10s_behind_the_venue_still_signs_inside_recv_window(
    cls: type[CcxtVenue],
) -> None:
    async with on_sim(cls, clock_offset_ms=10_000) as (world, v):
        assert world.scenario.realism.recv_window
        await v.load_markets()
        assert (await v.fetch_balance())["USDT"].free > 0
        skew = await v.clock_skew_ms()
        assert 9_000 < skew < 11_000


def test_bybit_testnet_is_ccxt_sandbox_mode_and_mexc_has_none(tmp_path: Path) -> None:
    clock = ManualClock(1_767_225_600_000)
    v = BybitVenue(VenueSettings(testnet=True), [CexMarket(VenueId.BYBIT, SYMBOL)], clock)
    assert all("//api-testnet." in u for u in v.rest.urls["api"].values())
    assert "//stream-testnet." in v.pro.urls["api"]["ws"]["public"]["spot"]
    assert "api-testnet" not in BybitVenue(VenueSettings(), [], clock).rest.urls["api"]["public"]
    cfg = tmp_path / "dexcex.toml"
    cfg.write_text("[venues.mexc]\ntestnet = true\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="MEXC has no testnet"):
        load_settings(cfg)
    cfg.write_text("[venues.bybit]\ntestnet = true\n", encoding="utf-8")
    assert load_settings(cfg).venues.bybit.testnet
