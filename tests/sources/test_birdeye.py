"""Birdeye: documented payloads, side derivation, rejections, and the live stream."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from dexcex.config import load_settings
from dexcex.config.models import BirdeyeSettings
from dexcex.domain import (
    Asset,
    AuthError,
    CexMarket,
    Chain,
    DexIdentity,
    DexPool,
    DexSwap,
    InvalidInput,
    ManualClock,
    MarketEvent,
    PoolLiquidity,
    RateLimited,
    Side,
    VenueId,
)
from dexcex.sim.scenario import Fault, FaultKind, load_scenario
from dexcex.sim.world import run_sim
from dexcex.sources.birdeye.client import BirdeyeSource
from dexcex.sources.birdeye.parse import frame_type, parse_market_data, parse_txs_frame
from dexcex.sources.index import AssetIndex
from tests.strategies import mutated
from tests.waiting import until

RES = Path(__file__).parent.parent / "resources" / "birdeye"
JUP = "JUPyiwrYJFskUPiHa7hkeR8VUtAeFoSYbKedZNsDvCN"
JUP_POOL = "1amiJLvkVHjPz7t8dwBsWHknHitcpqwPPuuUCfHyzjB"
T = 1_747_307_828_500


def jup_index() -> AssetIndex:
    pool = DexPool("zerofi", JUP_POOL, "USDC")
    dex = DexIdentity(Chain.SOLANA, JUP, 6, (pool,))
    return AssetIndex([Asset("jup", "JUP", (dex,), (CexMarket(VenueId.MEXC, "JUP/USDT"),))])


def example(name: str) -> Any:
    return json.loads((RES / name).read_text())


def test_documented_txs_frame_is_a_sell_of_the_watched_token() -> None:
    swap = parse_txs_frame(example("ws/txs_data.json"), Chain.SOLANA, jup_index(), T)
    assert swap.asset_id == "jup" and swap.side is Side.SELL
    assert swap.base_amount == pytest.approx(172.70763) and swap.quote_amount == pytest.approx(
        86.179003
    )
    assert swap.usd_value == pytest.approx(86.16813238056157)
    assert swap.price_usd == pytest.approx(0.4989248730965828)  # Birdeye's tokenPrice
    assert swap.price_native == pytest.approx(86.179003 / 172.70763)
    assert swap.ts_event == 1747307828000 and swap.ts_recv == T
    assert swap.pool == JUP_POOL and swap.dex == "zerofi"
    assert swap.trader == "Dc9jiLSNN8qwEciwd55HmZhroswZ4XvcvKeRXHWCnwbP"


def test_side_comes_from_the_legs_whatever_birdeye_calls_it() -> None:
    frame = example("ws/txs_data.json")
    d = frame["data"]
    d["from"], d["to"] = d["to"], d["from"]  # the owner now paid USDC and got JUP
    d["side"] = "swap"  # what a complex subscription says
    assert parse_txs_frame(frame, Chain.SOLANA, jup_index(), T).side is Side.BUY


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d.__setitem__("volumeUSD", float("nan")), "absurd_value"),
        (lambda d: d["from"].__setitem__("uiAmount", 0), "absurd_value"),
        (lambda d: d.pop("txHash"), "bad_txs"),
        (lambda d: d["to"].__setitem__("address", JUP), "unwatched"),  # JUP on both sides
        (
            lambda d: d["from"].__setitem__(
                "address", "So11111111111111111111111111111111111111112"
            ),
            "unwatched",
        ),  # no watched token at all
    ],
)
def test_bad_txs_frames_are_rejected_with_a_reason(change: Any, reason: str) -> None:
    frame = example("ws/txs_data.json")
    change(frame["data"])
    with pytest.raises(InvalidInput) as exc:
        parse_txs_frame(frame, Chain.SOLANA, jup_index(), T)
    assert exc.value.reason == reason


def test_market_data_example_is_token_level_liquidity() -> None:
    idx = AssetIndex(load_settings().domain_assets())
    obj = example("http/defi_v3_token_market_data.json")
    with pytest.raises(InvalidInput, match="not watched"):  # the example is SOL itself
        parse_market_data(obj, Chain.SOLANA, idx, T)
    obj["data"]["address"] = "EKpQGSJtjMFqKZ9KQanSqYXRcF8fBopzLHYxdM65zcjm"
    liq = parse_market_data(obj, Chain.SOLANA, idx, T)
    assert liq.asset_id == "wif" and liq.liquidity_usd == pytest.approx(23338480211.61425)
    assert liq.base_reserve is None and liq.dex == "all"


@settings(max_examples=300, deadline=None)
@given(st.one_of(mutated(example("ws/txs_data.json")), mutated(example("ws/price_data.json"))))
def test_any_frame_is_an_event_or_a_counted_rejection(frame: Any) -> None:
    src = BirdeyeSource(BirdeyeSettings(api_key=SecretStr("k")), jup_index(), ManualClock(T))
    got: list[MarketEvent] = []
    src.handle_frame(Chain.SOLANA, json.dumps(frame, allow_nan=True), got.append)
    kind = frame.get("type")
    if not isinstance(kind, str):
        assert (len(got), src.tracker.rejected_total) == (0, 1)  # no type: garbage
    elif kind in ("TXS_DATA", "PRICE_DATA"):
        assert len(got) + src.tracker.rejected_total == 1  # an event or a rejection
    else:
        assert (len(got), src.tracker.rejected_total) == (0, 0)  # a frame type we ignore


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_are_contained(raw: bytes) -> None:
    src = BirdeyeSource(BirdeyeSettings(api_key=SecretStr("k")), jup_index(), ManualClock(T))
    src.handle_frame(Chain.SOLANA, raw, lambda e: None)
    with pytest.raises(InvalidInput):
        frame_type(b"{not json")


def test_needs_an_api_key() -> None:
    with pytest.raises(AuthError, match="DEXCEX_SOURCES__BIRDEYE__API_KEY"):
        BirdeyeSource(BirdeyeSettings(), jup_index(), ManualClock(T))


async def test_stream_on_the_simulator_drops_duplicates_keeps_multi_swap_txs_and_polls() -> None:
    dup = Fault(at_s=5, kind=FaultKind.DUPLICATE, target="birdeye", count=6)
    sc = load_scenario("default").model_copy(update={"faults": [dup], "assets": ["wif", "bonk"]})
    assert sc.realism.multi_swap_tx
    async with run_sim(sc, speed=10.0) as world:
        assert world.clock is not None
        cfg = BirdeyeSettings(
            rest_url=world.urls["birdeye_rest"],
            ws_url=world.urls["birdeye_ws"],
            api_key=SecretStr("sim-key"),
        )
        src = BirdeyeSource(
            cfg, AssetIndex([a.to_domain() for a in world.asset_configs]), world.clock
        )
        got: list[MarketEvent] = []
        task = asyncio.create_task(src.stream(Chain.SOLANA, got.append))
        try:
            await until(lambda: sum(isinstance(e, DexSwap) for e in got) > 20, 60, "swaps streamed")
            assert await src.poll_liquidity(Chain.SOLANA, got.append) == 2
        finally:
            task.cancel()
            await src.close()
    swaps = [e for e in got if isinstance(e, DexSwap)]
    assert len(swaps) > 20
    assert len({s.tx_id for s in swaps}) == len(swaps)  # no swap twice
    assert src.tracker.rejected["duplicate_tx"] >= 1
    truth = {ev.tx: ev.usd for v in world.pool_views.values() for ev in v.swaps}
    assert {s.tx_id.split(":")[0] for s in swaps} <= set(truth)
    # several swaps in one transaction are each kept: every transaction's swaps add up
    by_tx: dict[str, float] = {}
    for sw in swaps:
        by_tx[sw.tx_id.split(":")[0]] = by_tx.get(sw.tx_id.split(":")[0], 0.0) + sw.usd_value
    multi = [tx for tx in by_tx if sum(s.tx_id.startswith(tx) for s in swaps) > 1]
    assert multi, "no multi-swap transaction came through"
    last = max(swaps, key=lambda sw: sw.ts_event).tx_id.split(":")[0]  # may be cut short
    for tx, usd in by_tx.items():
        if tx != last:
            assert usd == pytest.approx(truth[tx], rel=1e-6), tx


async def test_429_carries_retry_after() -> None:
    fault = Fault(
        at_s=0, kind=FaultKind.RATE_LIMIT, target="birdeye", duration_s=600, retry_after_s=4
    )
    sc = load_scenario("default").model_copy(update={"faults": [fault]})
    async with run_sim(sc, speed=1.0) as world:
        assert world.clock is not None
        cfg = BirdeyeSettings(rest_url=world.urls["birdeye_rest"], api_key=SecretStr("sim-key"))
        src = BirdeyeSource(cfg, AssetIndex(load_settings().domain_assets()), world.clock)
        try:
            with pytest.raises(RateLimited) as exc:
                await src.poll_liquidity(Chain.SOLANA, lambda e: None)
        finally:
            await src.close()
    assert exc.value.retry_after_s == 4 and src.tracker.rate_limited == 1


def test_deep_copies_of_examples_do_not_leak() -> None:
    a = example("ws/txs_data.json")
    b = copy.deepcopy(a)
    parse_txs_frame(a, Chain.SOLANA, jup_index(), T)
    assert a == b  # parsing never mutates its input


@pytest.mark.parametrize("chain", [Chain.SOLANA, Chain.ETHEREUM, Chain.BSC, Chain.POLYGON])
async def test_liquidity_poll_asks_each_chain_by_its_header(chain: Chain) -> None:
    """Birdeye answers for the chain in ``x-chain`` (solana when absent): an EVM token
    asked without it is unknown upstream."""
    async with run_sim("default", speed=1.0) as world:
        assert world.clock is not None
        cfg = BirdeyeSettings(rest_url=world.urls["birdeye_rest"], api_key=SecretStr("sim-key"))
        index = AssetIndex(load_settings().domain_assets())
        src = BirdeyeSource(cfg, index, world.clock)
        got: list[MarketEvent] = []
        try:
            n = await src.poll_liquidity(chain, got.append)
        finally:
            await src.close()
    assert n == len(index.tokens_on(chain)) >= 1
    assert not src.tracker.rejected, src.tracker.rejected
    assert all(isinstance(e, PoolLiquidity) and e.chain is chain for e in got)
