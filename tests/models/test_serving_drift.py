"""Drift pauses automatic trading by itself, and alerts: the realistic world with its
DEX flow scaled mid-run, against the same world unscaled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dexcex.domain import Order
from dexcex.models.service import TrainOutput
from tests.models.paperrun import run
from tests.models.serving import scenario, serving_db, serving_settings

pytestmark = pytest.mark.timeout(600)


def test_drift_mid_run_pauses_automatic_trading_and_alerts(
    tmp_path: Path, trained: TrainOutput
) -> None:
    results = {}
    for shift in (None, 1.0):
        folder = tmp_path / str(shift)
        folder.mkdir()
        db = serving_db(folder, trained, "active", evidence=True)
        # a smaller window than the default 500, so the run can be short; the threshold
        # sized for it (the same world's 300-signal windows stay below 1)
        lim = {"drift_window": 300, "drift_min_signals": 300, "drift_psi": 1.0}
        s = serving_settings(auto="rules", **lim)
        alerts: list[tuple[bool, str, int]] = []
        entries: dict[str, int] = {}

        def started(ve: Any, alerts: list[tuple[bool, str, int]] = alerts) -> None:
            clock = ve.clock
            ve.execution.gate.on_alert = lambda on, msg: alerts.append((on, msg, clock.now_ms()))

        def sent(o: Order, now: int, entries: dict[str, int] = entries) -> None:
            if o.leg.value == "entry":
                entries.setdefault(o.client_order_id, now)

        try:  # the training run's world; from the first hour on, the DEX flow × 10
            ve = run(s, scenario(7), 2.5, db, shift_after_h=shift, on_start=started, on_order=sent)
            stored = db.state.get("auto_pause")
        finally:
            db.close()
        gate = ve.execution.gate  # type: ignore[union-attr]
        assert gate is not None
        results[shift] = (gate.paused, stored, alerts, list(entries.values()))
    paused, _, alerts, entries = results[None]
    assert paused is None and alerts == [] and entries  # the same world: it trades on
    paused, stored, alerts, entries = results[1.0]
    assert paused and "PSI" in paused and stored and stored["on"]
    (on, msg, at), *_ = alerts
    assert on and "drift" in msg
    start = scenario(7).start_ms
    assert at > start + 3_600_000  # after the shift, not before
    assert all(t <= at for t in entries)  # no automatic entry once paused
