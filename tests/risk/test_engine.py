from __future__ import annotations

from typing import Any

import pytest

from dexcex.config.core_settings import RiskSettings
from dexcex.domain import Direction, Regime, SignalStatus
from dexcex.risk.engine import RiskEngine
from dexcex.risk.state import PoolState, PortfolioState
from tests.factories import T0, make_book, make_regime, make_signal

HOUR = 3_600_000
OK_POOL = PoolState(liquidity_usd=1e6, created_ms=T0 - 1000 * HOUR)


def decide(
    signal: Any = None,
    *,
    book: Any = "default",
    pool: PoolState = OK_POOL,
    regime: Any = None,
    portfolio: PortfolioState | None = None,
    **settings: Any,
) -> Any:
    eng = RiskEngine(RiskSettings(**settings))
    return eng.decide(
        signal or make_signal(ts=T0),
        make_book(2.5, ts=T0, size=1000.0) if book == "default" else book,
        pool,
        regime or make_regime(2.0),
        portfolio or PortfolioState(),
        T0,
    )


def test_approved_with_size_and_estimates() -> None:
    d = decide()
    assert d.approved and d.reasons == ("all checks passed",)
    assert d.size_base == pytest.approx(100.0 / 2.5)
    assert d.notional_quote == 100.0
    assert d.est_avg_price == pytest.approx(2.5 * (1 + 5e-4))  # the best ask: half of 10 bps
    assert d.est_slippage_bps == pytest.approx(5.0)
    assert d.regime is Regime.NORMAL


def test_every_reason_is_listed() -> None:
    d = decide(
        make_signal(ts=T0, asset_id="wif"),
        book=make_book(2.5, ts=T0, spread_bps=80.0, size=1.0),
        pool=PoolState(
            liquidity_usd=5000.0,
            created_ms=T0 - 2 * HOUR,
            drain=True,
            drawdown_pct=25.0,
            holder_concentration=0.95,
        ),
        regime=make_regime(9.0, regime=Regime.EXTREME, market_trend=-30.0),
        portfolio=PortfolioState(
            exposure_usd=950.0, by_asset_usd={"wif": 250.0}, daily_pnl_usd=-150.0, kill_switch=True
        ),
    )
    assert not d.approved and d.size_base == 0.0 and d.notional_quote == 0.0
    text = " | ".join(d.reasons)
    for part in (
        "kill switch on",
        "spread 80.0 bps > 40",
        "depth within 1 %",
        "book fills only",
        "slippage",
        "thin pool: 5,000 USD",
        "young pool: 2 h",
        "liquidity drain (25 % pulled)",
        "holders concentrated: 95%",
        "extreme volatility",
        "broad market falling",
        "exposure 1,050 > 1,000",
        "wif exposure 350 > 300",
        "daily loss -150.00 hit the limit",
    ):
        assert part in text, part
    assert "liquidity_drain" in d.flags


def test_slippage_limit_from_walking_the_book() -> None:
    thin = make_book(2.5, ts=T0, size=5.0, step_bps=20.0)  # 40 units needs ~8 levels
    d = decide(book=thin)
    assert not d.approved
    assert any(r.startswith("slippage") for r in d.reasons)
    assert d.est_worst_price is not None and d.est_worst_price > d.est_avg_price  # type: ignore[operator]


def test_no_book_is_a_reason() -> None:
    d = decide(book=None)
    assert not d.approved and "no two-sided CEX book" in d.reasons


def test_not_executable_short_is_rejected_with_its_reason() -> None:
    s = make_signal(
        ts=T0,
        direction=Direction.SHORT,
        executable=False,
        status_reason="short on a spot-only venue",
    )
    d = decide(s)
    assert not d.approved and "short on a spot-only venue" in d.reasons


def test_drain_blocks_longs_but_not_shorts() -> None:
    pool = PoolState(liquidity_usd=1e6, created_ms=T0 - 1000 * HOUR, drain=True, drawdown_pct=20)
    assert not decide(pool=pool).approved
    short = make_signal(ts=T0, direction=Direction.SHORT)
    d = decide(short, pool=pool)
    assert d.approved and "liquidity_drain" in d.flags


def test_kill_switch_from_settings() -> None:
    d = decide(kill_switch=True)
    assert not d.approved and d.reasons == ("kill switch on",)


def test_unknown_regime_is_flagged_not_blocked() -> None:
    d = decide(regime=make_regime(0.0, regime=Regime.UNKNOWN))
    assert d.approved and "regime_unknown" in d.flags


def test_a_filtered_signal_is_never_approved() -> None:
    s = make_signal(ts=T0, status=SignalStatus.FILTERED, status_reason="confidence 0.4 < 0.6")
    d = decide(s)
    assert not d.approved and d.reasons == ("signal filtered: confidence 0.4 < 0.6",)
