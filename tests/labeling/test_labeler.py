from __future__ import annotations

import math

import pytest

from dexcex.labeling.labeler import Labeler, OutcomeUpdate
from tests.factories import T0, make_book, make_signal


def test_outcomes_are_written_as_each_horizon_elapses() -> None:
    got: list[OutcomeUpdate] = []
    lab = Labeler(got.extend)
    sig = make_signal(ts=T0, features={"cost_bps": 10.0})
    lab.track(sig)
    mid = 2.5
    for s in range(1, 3700):
        mid = 2.5 * math.exp(1e-5 * s)  # +0.1 bps a second
        lab.on_book(make_book(mid, ts=T0 + s * 1000))
    by_col: dict[str, object] = {}
    for u in got:
        assert u.signal_id == sig.id
        by_col.update(u.values)
    # entry at T0 + 1 s (the first mid after the signal), 30 s later +0.3 bps
    assert by_col["ret_30s_bps"] == pytest.approx((math.exp(1e-5 * 30) - 1) * 1e4, rel=1e-6)
    assert by_col["net_30s_bps"] == pytest.approx(by_col["ret_30s_bps"] - 10.0)  # type: ignore[operator]
    # +6 bps after 1 m does not cover the 10 bps of costs; +30 bps after 5 m does
    assert by_col["label_1m"] is False and by_col["label_5m"] is True
    # written in steps: 30 s first, 60 m last, and only once each
    firsts = [next(iter(u.values)) for u in got if u.values]
    assert firsts[0].endswith("30s_bps") and len(firsts) == 5
    assert got[-1].final and lab.pending == 0 and lab.labeled == 1


def test_a_signal_without_mids_is_closed_with_a_reason() -> None:
    got: list[OutcomeUpdate] = []
    lab = Labeler(got.extend)
    lab.track(make_signal(ts=T0, symbol="NOPE/USDT"))
    for s in range(0, 3800, 10):
        lab.on_book(make_book(2.0, ts=T0 + s * 1000))
    assert got and got[-1].final and got[-1].note == "no CEX mids for its market"


def test_mids_are_trimmed_to_what_pending_signals_need() -> None:
    lab = Labeler(lambda ups: None)
    for s in range(0, 20_000):
        lab.on_book(make_book(2.0, ts=T0 + s * 1000))
    (series,) = lab._mids.values()
    assert len(series) <= 3600 + 120 + 300
