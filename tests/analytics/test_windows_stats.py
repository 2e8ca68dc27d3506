from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from dexcex.analytics.stats import Ewma, alpha_for
from dexcex.analytics.windows import SecondWindows


def test_window_sums_by_hand() -> None:
    w = SecondWindows(1, 3)
    w.advance(10)
    w.cum[0] += 1.0  # second 10
    w.advance(11)
    w.cum[0] += 2.0  # second 11
    w.advance(12)
    w.cum[0] += 4.0  # second 12
    assert w.sum(1, 0) == 4.0
    assert w.sum(2, 0) == 6.0
    assert w.sum(3, 0) == 7.0
    w.advance(13)  # second 10 leaves the 3 s window
    assert w.sum(3, 0) == 6.0
    w.advance(20)  # a gap longer than every span: nothing is left
    assert w.sums(3) == (0.0,)


def test_window_never_moves_back() -> None:
    w = SecondWindows(1, 5)
    assert w.advance(10) == 1
    assert w.advance(9) == 0
    assert w.advance(10) == 0
    assert w.advance(13) == 3
    assert w.now_s == 13


@given(
    st.lists(st.tuples(st.integers(0, 200), st.floats(0.0, 1e6, allow_nan=False)), max_size=300),
    st.integers(1, 30),
)
def test_window_matches_brute_force_and_forgets(events: list[tuple[int, float]], span: int) -> None:
    """Sum over the window == the sum of events of the last ``span`` seconds, recomputed."""
    events.sort(key=lambda e: e[0])
    w = SecondWindows(1, 30)
    for i, (sec, x) in enumerate(events):
        w.advance(sec)
        w.cum[0] += x
        now = events[i][0]
        expected = sum(v for s, v in events[: i + 1] if s > now - span)
        assert math.isclose(w.sum(span, 0), expected, rel_tol=1e-9, abs_tol=1e-6)


def test_alpha_for_half_life() -> None:
    assert alpha_for(10.0, 10.0) == 0.5
    assert math.isclose(alpha_for(20.0, 10.0), 0.75)
    assert alpha_for(0.0, 10.0) == 0.0


def test_ewma_by_hand() -> None:
    e = Ewma()
    e.update(1.0, 0.5)
    assert (e.mean, e.var) == (1.0, 0.0)
    assert e.z(5.0) == 0.0  # no spread yet
    e.update(3.0, 0.5)
    # diff 2, incr 1: mean 2; var = 0.5 * (0 + 2 * 1) = 1
    assert (e.mean, e.var) == (2.0, 1.0)
    assert e.z(4.0) == 2.0
    e.update(2.0, 0.5)
    # diff 0: mean 2, var 0.5
    assert (e.mean, e.var) == (2.0, 0.5)
