from __future__ import annotations

from typing import Any

import pytest

from dexcex.config.core_settings import ScoreWeights, SignalSettings
from dexcex.domain import Chain, Direction, OrderBook, SignalStatus, VenueId
from dexcex.signals.engine import SignalEngine, Trigger, signal_id
from tests.factories import T0, make_book, make_flow_reading, make_regime, make_vp_reading

STRONG = ScoreWeights(bias=3.0)  # every signal confident: the filters under test decide


def build(
    eng: SignalEngine,
    direction: int = 1,
    *,
    ts: int = T0,
    book: OrderBook | None = None,
    spot_only: bool = True,
    last_dex_ts: int | None = None,
    source: str = "birdeye",
    **kw: Any,
) -> Any:
    args: dict[str, Any] = dict(
        asset_id="wif",
        venue=VenueId.MEXC,
        symbol="WIF/USDT",
        spot_only=spot_only,
        ts=ts,
        source=source,
        chain=Chain.SOLANA,
        flow=make_flow_reading(direction, ts=ts),
        trigger_event_ts=ts - 300,
        trigger_recv_ts=ts - 200,
        pool="pool-wif",
        dex_price=1.0,
        liquidity=None,
        vp=make_vp_reading(ts=ts),
        large_threshold_usd=5000.0,
        book=book if book is not None else make_book(ts=ts),
        regime=make_regime(4.0),
        last_dex_ts=last_dex_ts if last_dex_ts is not None else ts,
        notional_usd=100.0,
    )
    args.update(kw)
    return eng.build(Trigger(**args))


def engine(**kw: Any) -> SignalEngine:
    return SignalEngine(SignalSettings(**{"weights": STRONG, **kw}), taker_fee_bps=5.0)


def test_signal_fields_by_hand() -> None:
    eng = engine()
    s = build(eng)
    assert s.status is SignalStatus.NEW and s.status_reason is None
    assert s.direction is Direction.LONG and s.executable
    assert s.id == signal_id("wif", T0, Direction.LONG)
    # σ over 300 s = 4 bps/√s × √300; move = (2c − 1) × σ × 2
    sigma = 4.0 * 300**0.5
    assert s.expected_move_bps == pytest.approx((2 * s.confidence - 1) * sigma * 2.0)
    # cost: two taker fees + entry slippage of 1 unit at 100 (half the 10 bps spread)
    # + the exit's half spread
    assert s.features["cost_bps"] == pytest.approx(10.0 + 5.0 + 5.0)
    assert s.priority == pytest.approx(s.confidence * s.expected_move_bps / 20.0)
    assert s.cex is not None and s.cex.spread_bps == pytest.approx(10.0)
    assert s.dex.imbalance == pytest.approx(0.8) and s.dex.window_s == 20
    assert s.trigger_ts_event == T0 - 300 and s.expires_ts == T0 + 120_000


def test_signal_id_is_deterministic() -> None:
    a, b = engine(), engine()
    assert build(a).id == build(b).id
    assert signal_id("wif", 1, Direction.LONG) != signal_id("wif", 1, Direction.SHORT)


def test_short_on_spot_venue_is_kept_and_marked_not_executable() -> None:
    s = build(engine(), -1)
    assert s.direction is Direction.SHORT
    assert not s.executable and s.status_reason == "short on a spot-only venue"
    assert s.status is SignalStatus.NEW  # kept, not silently dropped
    assert build(engine(), -1, spot_only=False).executable


def test_cooldown_after_a_signal_and_recheck_after_a_filtered_one() -> None:
    eng = engine(cooldown_s=90, recheck_s=10)
    build(eng)
    assert eng.cooling("wif", 1, T0 + 89_000, "dexscreener")
    assert not eng.cooling("wif", -1, T0 + 1000, "birdeye")  # the other direction is free
    assert not eng.cooling("wif", 1, T0 + 90_000, "birdeye")
    # a filtered signal only silences for the recheck period
    eng2 = engine(min_confidence=1.0, cooldown_s=90, recheck_s=10)
    s = build(eng2)
    assert s.status is SignalStatus.FILTERED
    assert eng2.cooling("wif", 1, T0 + 9_000, "birdeye")
    assert not eng2.cooling("wif", 1, T0 + 10_000, "birdeye")


def test_second_source_inside_the_cooldown_is_noted_not_signalled() -> None:
    eng = engine()
    s = build(eng, source="birdeye")
    assert eng.cooling("wif", 1, T0 + 5_000, "dexscreener")
    assert eng.covering("wif", 1) == (s.id, ["birdeye", "dexscreener"])
    assert eng.suppressed == 1


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        ({"last_dex_ts": T0 - 61_000}, "stale DEX data (61 s)"),
        ({"book": make_book(ts=T0 - 16_000)}, "stale CEX book (16 s)"),
    ],
)
def test_stale_data_is_filtered(kw: dict[str, Any], reason: str) -> None:
    s = build(engine(), **kw)
    assert s.status is SignalStatus.FILTERED and s.status_reason == reason


def test_no_book_is_filtered() -> None:
    eng = engine()
    s = eng.build(Trigger(**{**_args_without_book(), "book": None}))
    assert s.status is SignalStatus.FILTERED and s.status_reason == "no CEX book"
    assert s.cex is None


def _args_without_book() -> dict[str, Any]:
    return dict(
        asset_id="wif",
        venue=VenueId.MEXC,
        symbol="WIF/USDT",
        spot_only=True,
        ts=T0,
        source="birdeye",
        chain=Chain.SOLANA,
        flow=make_flow_reading(1),
        trigger_event_ts=T0,
        trigger_recv_ts=T0,
        pool=None,
        dex_price=None,
        liquidity=None,
        vp=make_vp_reading(),
        large_threshold_usd=float("inf"),
        book=None,
        regime=make_regime(4.0),
        last_dex_ts=T0,
        notional_usd=100.0,
    )


def test_low_confidence_is_filtered() -> None:
    eng = SignalEngine(
        SignalSettings(weights=ScoreWeights(bias=-3.0, orderflow=0.0), min_confidence=0.6), 5.0
    )
    s = build(eng)
    assert s.status is SignalStatus.FILTERED
    assert s.status_reason is not None and s.status_reason.startswith("confidence 0.05 < 0.6")


def test_move_below_cost_is_filtered() -> None:
    s = build(engine(), regime=make_regime(0.1))  # calm: σ(300 s) ≈ 1.7 bps
    assert s.status is SignalStatus.FILTERED
    assert s.status_reason is not None and s.status_reason.startswith("expected move")


def test_features_are_flat_and_finite() -> None:
    s = build(engine())
    assert s.features and all(isinstance(v, float) for v in s.features.values())
    assert {"w20_imbalance", "imbalance_z", "smart_money", "cost_bps", "score_orderflow"} <= set(
        s.features
    )
