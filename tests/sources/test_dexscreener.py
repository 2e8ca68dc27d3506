"""DexScreener: documented envelopes, flow deltas, stale detection, 429 without Retry-After."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings

from dexcex.config import load_settings
from dexcex.config.models import DexScreenerSettings
from dexcex.domain import (
    Chain,
    DexFlowDelta,
    DexPrice,
    HealthState,
    InvalidInput,
    ManualClock,
    MarketEvent,
    PoolLiquidity,
    RateLimited,
)
from dexcex.edge.http import FALLBACK_BACKOFF_S
from dexcex.sim.scenario import Fault, FaultKind, load_scenario
from dexcex.sim.world import run_sim
from dexcex.sources.dexscreener.client import DexScreenerSource
from dexcex.sources.dexscreener.parse import FlowDeltas, PairSnapshot, parse_pairs
from dexcex.sources.dexscreener.schemas import Pair, PairsEnvelope
from dexcex.sources.index import AssetIndex
from tests.strategies import mutated
from tests.waiting import market_ms, until_market

RES = Path(__file__).parent.parent / "resources" / "dexscreener" / "http"
WIF_POOL = "EP2ib6dYdEeqD8MfE2ezHCxX3kP3K2eLKkirfPm5eyMx"
T = 1_767_225_600_000


def example(name: str) -> Any:
    return json.loads((RES / name).read_text())


def index() -> AssetIndex:
    return AssetIndex(load_settings().domain_assets())


def test_documented_envelopes_decode() -> None:
    env = msgspec.convert(example("latest_dex_pairs.json"), PairsEnvelope)
    assert env.pairs and env.pairs[0].liquidity and env.pairs[0].liquidity.usd == 879284.45
    pairs = msgspec.convert(example("token_pairs_v1.json"), list[Pair])
    assert pairs[0].txns and pairs[0].txns["m5"].buys == 12


def test_unsupported_chains_and_unwatched_pairs_are_set_aside() -> None:
    snaps, skipped = parse_pairs(example("latest_dex_pairs.json"), index(), T)
    assert snaps == [] and skipped == [
        ("unwatched_pair", "unwatched pair injective/inj17ufy5gqw33t0prwhkwa6ensv0jpj3xfvylgx8j")
    ]
    assert parse_pairs({"schemaVersion": "1.0.0", "pairs": None}, index(), T) == ([], [])


def test_a_watched_pair_becomes_liquidity_price_and_flow() -> None:
    pair = example("token_pairs_v1.json")[0]
    pair["pairAddress"] = WIF_POOL
    wif = index().pool(Chain.SOLANA, WIF_POOL)
    assert wif is not None
    pair["baseToken"] = {**pair["baseToken"], "address": wif.token}  # the watched token
    snaps, _ = parse_pairs([pair], index(), T)
    (s,) = snaps
    assert s.ref.asset_id == "wif" and s.price_usd == 0.2468 and s.liquidity_usd == 812345.6
    assert (s.m5_buys, s.m5_sells, s.m5_volume_usd) == (12, 9, 5230.1)
    later = dict(
        pair,
        txns={**pair["txns"], "m5": {"buys": 20, "sells": 8}},
        volume={**pair["volume"], "m5": 6100.0},
    )
    (s2,), _ = parse_pairs([later], index(), T + 10_000)
    flows = FlowDeltas()
    assert flows.update(s) is None  # the first poll has nothing to compare with
    d = flows.update(s2)
    assert d is not None
    assert (d.asset_id, d.chain, d.dex, d.pool) == ("wif", Chain.SOLANA, "raydium", WIF_POOL)
    assert (d.interval_ms, d.buys, d.sells) == (10_000, 8, -1)  # entered minus left
    assert d.volume_usd == pytest.approx(869.9)
    assert (d.window_buys, d.window_sells, d.window_volume_usd) == (20, 8, 6100.0)
    assert d.price_usd == 0.2468 and d.ts_event == d.ts_recv == T + 10_000
    assert d is not None and d.buy_share == pytest.approx(20 / 28)


@settings(max_examples=300, deadline=None)
@given(mutated(example("token_pairs_v1.json")))
def test_any_payload_is_snapshots_or_a_rejection(payload: Any) -> None:
    try:
        snaps, _ = parse_pairs(payload, index(), T)
    except InvalidInput:
        return
    assert all(isinstance(s, PairSnapshot) for s in snaps)


async def test_polling_the_simulator_on_every_chain() -> None:
    async with run_sim("default", speed=10.0) as world:
        assert world.clock is not None
        src = DexScreenerSource(
            DexScreenerSettings(rest_url=world.urls["dexscreener_rest"]), index(), world.clock
        )
        got: list[MarketEvent] = []
        try:
            await src.poll_once(got.append)
            await until_market(world, market_ms(world) + 10_000)
            await src.poll_once(got.append)
        finally:
            await src.close()
    liq = [e for e in got if isinstance(e, PoolLiquidity)]
    assert {e.chain for e in liq} == set(Chain)
    assert {e.pool for e in liq} == {p.address for _, p in index().pools.items()}
    assert all(e.base_reserve and e.quote_reserve for e in liq)
    assert any(isinstance(e, DexPrice) for e in got)
    flows = [e for e in got if isinstance(e, DexFlowDelta)]
    assert flows and all(f.interval_ms > 0 for f in flows)
    assert len(src.batches()) == 4  # one call per chain: 9 pools, well under 30 per call


async def test_frozen_answers_make_the_feed_stale_and_429_without_retry_after_backs_off() -> None:
    faults = [
        Fault(at_s=5, kind=FaultKind.STALE, target="dexscreener", duration_s=10_000),
        Fault(at_s=30, kind=FaultKind.RATE_LIMIT, target="dexscreener", duration_s=10_000),
    ]
    sc = load_scenario("default").model_copy(update={"faults": faults})
    async with run_sim(sc, speed=1.0) as world:
        clock = ManualClock(T)
        cfg = DexScreenerSettings(rest_url=world.urls["dexscreener_rest"], poll_interval_s=10)
        src = DexScreenerSource(cfg, index(), clock)
        try:
            world.market.run_until(world.market.now + 6_000)  # into the frozen window
            assert await src.poll_once(lambda e: None) > 0
            clock.advance(10_000)
            world.market.run_until(world.market.now + 10_000)
            assert await src.poll_once(lambda e: None) == 0  # the same answer: no news
            clock.advance(40_000)
            assert src.health().state is HealthState.STALE
            world.market.run_until(world.market.now + 20_000)  # into the 429 window
            with pytest.raises(RateLimited) as exc:
                await src.poll_once(lambda e: None)
        finally:
            await src.close()
    # DexScreener's 429 has no Retry-After here: we back off on our own schedule
    assert exc.value.retry_after_s == FALLBACK_BACKOFF_S[0]


async def test_pairs_listed_the_other_way_round_are_read_from_the_watched_token() -> None:
    from dexcex.sim.servers.dexscreener.frames import quote_is_base

    async with run_sim("default", speed=10.0) as world:
        assert world.clock is not None and world.scenario.realism.inverted_pairs
        views = {v.pool.address: v for v in world.pool_views.values()}
        assert any(quote_is_base(v) for v in views.values())  # some pools come inverted
        src = DexScreenerSource(
            DexScreenerSettings(rest_url=world.urls["dexscreener_rest"]), index(), world.clock
        )
        got: list[MarketEvent] = []
        world.pause()  # the answer and the truth from the same instant
        try:
            await src.poll_once(got.append)
        finally:
            world.resume()
            await src.close()
    liq = [e for e in got if isinstance(e, PoolLiquidity)]
    assert liq
    for e in liq:  # the watched token's reserve, whichever side DexScreener put it on
        assert e.base_reserve == pytest.approx(views[e.pool].pool.base, rel=1e-3), e.pool
    prices = [e for e in got if isinstance(e, DexPrice)]
    truth = {v.pool.token: v.pool.price_usd for v in views.values()}
    assert prices
    for p in prices:  # priceUsd is the base token's: inverted pairs are turned round
        assert p.price_usd == pytest.approx(truth[p.token], rel=1e-3), p.token


def test_a_pair_whose_tokens_are_not_the_watched_one_is_refused() -> None:
    idx = index()
    ref = next(iter(idx.pools.values()))
    pair = {
        "chainId": "solana" if ref.chain is Chain.SOLANA else ref.chain.value,
        "dexId": ref.dex,
        "pairAddress": ref.address,
        "baseToken": {"address": "So11111111111111111111111111111111111111112"},
        "quoteToken": {"address": "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"},
        "priceNative": "1",
        "priceUsd": "150",
    }
    good, bad = parse_pairs({"schemaVersion": "1.0.0", "pairs": [pair]}, idx, T)
    assert good == [] and [r for r, _ in bad] == ["token_mismatch"]
    assert "neither token is the watched" in bad[0][1]
