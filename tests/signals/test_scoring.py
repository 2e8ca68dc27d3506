from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dexcex.config.core_settings import ScoreWeights
from dexcex.signals.scoring import Scores, confidence, expected_move_bps

W = ScoreWeights()


def test_aligned_scores_by_hand() -> None:
    s = Scores.aligned(
        -1,
        imbalance_z=-2.0,
        liquidity_bps_s=10.0,
        drain=False,
        accumulation=-0.5,
        smart_money=0.2,
        concentration=0.5,
        lead_quality=0.4,
    )
    assert s.orderflow == 2.0  # selling pressure supports a short
    assert s.liquidity == -2.0  # LPs adding 10 bps/s argues against it
    assert s.volume_price == 1.5
    assert s.smart_money == pytest.approx(-0.6)
    assert s.concentration == 2.0  # not aligned: it is already the signal side's
    assert s.lead == 0.4


def test_drain_and_clipping() -> None:
    s = Scores.aligned(-1, 50.0, 0.0, True, 0.0, None, None, 7.0)
    assert s.liquidity == 4.0  # a drain backs a short at full strength
    assert s.orderflow == -4.0  # clipped
    assert s.smart_money == 0.0 and s.concentration == 0.0  # unknown traders: neutral
    assert s.lead == 1.0


def test_confidence_by_hand() -> None:
    w = ScoreWeights(
        bias=-1.0,
        orderflow=0.5,
        liquidity=0.0,
        volume_price=0.0,
        smart_money=1.0,
        concentration=0.0,
        lead=0.0,
    )
    s = Scores(
        orderflow=2.0, liquidity=3.0, volume_price=3.0, smart_money=1.0, concentration=2.0, lead=1.0
    )
    assert confidence(s, w) == pytest.approx(1 / (1 + math.exp(-1.0)))


def test_negative_weights_are_refused() -> None:
    with pytest.raises(ValueError):
        ScoreWeights(orderflow=-0.1)


def test_expected_move_by_hand() -> None:
    assert expected_move_bps(0.5, 40.0, 2.0) == 0.0
    assert expected_move_bps(0.75, 40.0, 2.0) == pytest.approx(40.0)
    assert expected_move_bps(0.3, 40.0, 2.0) == 0.0  # never negative


score = st.floats(-10.0, 10.0)


@given(
    st.sampled_from(
        ["orderflow", "liquidity", "volume_price", "smart_money", "concentration", "lead"]
    ),
    st.tuples(score, score, score, score, st.floats(0.0, 4.0), st.floats(0.0, 1.0)),
    st.floats(0.0, 5.0),
)
def test_confidence_is_monotone_in_every_score(
    field: str, base: tuple[float, ...], bump: float
) -> None:
    lo = Scores(*base)
    raised = dict(lo.as_dict())
    raised[field] += bump
    hi = Scores(**raised)
    assert confidence(hi, W) >= confidence(lo, W)
    assert 0.0 <= confidence(lo, W) <= 1.0


@given(st.integers(-1, 1).filter(bool), score, score, st.floats(-1, 1), st.floats(-1, 1))
def test_aligned_scores_stay_in_bounds(d: int, z: float, liq: float, acc: float, sm: float) -> None:
    s = Scores.aligned(d, z, liq, False, acc, sm, abs(sm), 0.5)
    for v in s.as_dict().values():
        assert -4.0 <= v <= 4.0
