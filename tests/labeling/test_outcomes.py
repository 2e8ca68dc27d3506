from __future__ import annotations

import pytest

from dexcex.labeling.outcomes import HORIZONS, MidSeries, label_signal

T = 1_700_000_000_000


def ramp(seconds: int, step: float = 0.01) -> MidSeries:
    """Mid 100 at T, +``step`` every second."""
    m = MidSeries()
    for k in range(seconds + 1):
        m.add(T + k * 1000, 100.0 + step * k)
    return m


def test_long_outcomes_by_hand() -> None:
    o = label_signal(T, 1, 10.0, ramp(4000))
    # entry: the first mid after the signal, at T + 1 s (100.01) — no look-ahead
    assert (o.entry_ts, o.entry_mid) == (T + 1000, pytest.approx(100.01))
    assert o.complete and o.note is None
    ret = (100.31 / 100.01 - 1) * 1e4
    assert o.values["ret_30s_bps"] == pytest.approx(ret)
    assert o.values["net_30s_bps"] == pytest.approx(ret - 10.0)
    assert o.values["label_30s"] is True
    assert o.values["mfe_30s_bps"] == pytest.approx(ret)
    assert o.values["mae_30s_bps"] == 0.0
    assert o.values["ret_60m_bps"] == pytest.approx((136.01 / 100.01 - 1) * 1e4)


def test_short_outcomes_are_in_the_signals_direction() -> None:
    o = label_signal(T, -1, 10.0, ramp(4000))
    assert o.values["ret_1m_bps"] == pytest.approx(-(100.61 / 100.01 - 1) * 1e4)
    assert o.values["label_1m"] is False
    assert o.values["mae_1m_bps"] == pytest.approx(o.values["ret_1m_bps"])


def test_horizons_beyond_the_data_stay_empty_with_a_reason() -> None:
    o = label_signal(T, 1, 0.0, ramp(400))
    assert o.values["ret_5m_bps"] is not None
    assert o.values["ret_15m_bps"] is None and o.values["label_60m"] is None
    assert not o.complete and o.note is not None and "15m: data ends" in o.note


def test_no_mid_after_the_signal() -> None:
    o = label_signal(T + 10_000_000, 1, 0.0, ramp(10))
    assert o.entry_ts is None and o.note == "no CEX mid after the signal yet"
    assert all(v is None for v in o.values.values())


def test_gap_in_the_data() -> None:
    m = MidSeries()
    m.add(T + 1000, 100.0)
    m.add(T + 1000 + 3_600_000, 101.0)  # nothing for an hour
    o = label_signal(T, 1, 0.0, m, horizons={"1m": 60, "60m": 3600}, max_gap_s=30)
    assert o.values["ret_1m_bps"] is None
    assert o.note is not None and "1m: no mid within 30 s" in o.note

    assert o.values["ret_60m_bps"] == pytest.approx(100.0)


def test_series_keeps_one_mid_per_second_and_moves_forward() -> None:
    m = MidSeries()
    m.add(T, 1.0)
    m.add(T + 500, 2.0)  # same second: replaces
    m.add(T - 5000, 9.0)  # older: ignored
    m.add(T + 1000, 3.0)
    assert list(m.mids) == [2.0, 3.0] and len(m) == 2
    assert set(HORIZONS) == {"30s", "1m", "5m", "15m", "60m"}
