from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


class _EveryPendingEverySecond(Labeler):
    """The labeler as it was before it skipped signals with nothing due: every pending
    signal evaluated at every check (the reference the skipping must equal)."""

    def check(self, now_ms: int) -> None:
        from dexcex.labeling.labeler import _MAX_H
        from dexcex.labeling.outcomes import HORIZONS, label_signal

        updates: list[OutcomeUpdate] = []
        for sid, p in list(self._pending.items()):
            s = p.signal
            series = self._mids.get((s.venue, s.symbol))
            if series is None or not len(series):
                if now_ms - s.ts > (_MAX_H + self.max_gap_s) * 1000:
                    del self._pending[sid]
                    updates.append(OutcomeUpdate(sid, {}, True, "no CEX mids for its market"))
                continue
            i0 = series.first_after(s.ts)
            t0 = series.times[i0] if i0 < len(series) else None
            elapsed = (
                []
                if t0 is None
                else [h for h, secs in HORIZONS.items() if t0 + secs * 1000 <= series.last_ts]
            )
            new = [h for h in elapsed if h not in p.done]
            final = len(elapsed) == len(HORIZONS)
            stale = now_ms - s.ts > (_MAX_H + self.max_gap_s) * 1000
            if not new and not final and not stale:
                continue
            out = label_signal(s.ts, s.direction.sign, p.cost_bps, series, max_gap_s=self.max_gap_s)
            values = {
                k: v
                for k, v in out.values.items()
                if any(k.endswith(f"_{h}_bps") or k == f"label_{h}" for h in new)
            }
            p.done.update(new)
            if final or stale:
                del self._pending[sid]
                self.labeled += 1
            updates.append(OutcomeUpdate(sid, values, final or stale, out.note))
        if updates:
            self.sink(updates)
        self._trim(now_ms)


@settings(max_examples=40, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.integers(-1500, 90_000),  # ms since the last book (negative: a late one)
            st.sampled_from(["WIF/USDT", "POP/USDT", "NOPE/USDT"]),
            st.floats(0.5, 2.0),
            st.booleans(),  # a signal here
        ),
        min_size=50,
        max_size=400,
    )
)
def test_skipping_signals_with_nothing_due_labels_exactly_as_checking_all(
    steps: list[tuple[int, str, float, bool]],
) -> None:
    fast: list[OutcomeUpdate] = []
    slow: list[OutcomeUpdate] = []
    labelers = (
        Labeler(fast.extend, max_gap_s=60),
        _EveryPendingEverySecond(slow.extend, max_gap_s=60),
    )
    t = T0
    for n, (dt, symbol, mid, signal_here) in enumerate(steps):
        t += dt
        book = make_book(mid, ts=t, symbol=symbol)
        sig = make_signal(n, ts=t - 700, symbol=symbol) if signal_here else None
        for lab in labelers:
            if sig is not None:
                lab.track(sig)
            if symbol != "NOPE/USDT":
                lab.on_book(book)
    end = t + 4_000_000
    for lab in labelers:
        lab.on_book(make_book(1.0, ts=end, symbol="WIF/USDT"))
        lab.finish(end)
    assert fast == slow
    assert labelers[0].labeled == labelers[1].labeled
