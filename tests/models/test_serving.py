"""Served models in the engine, on the realistic simulator in virtual time: feature
parity with the export, the gate that decides who trades by itself, drift's pause."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dexcex.cli.main import main
from dexcex.config import Settings, load_settings
from dexcex.core import CoreOutput
from dexcex.domain import Order
from dexcex.execution.kill_switch import KillReason
from dexcex.models.data import rows_of_db
from dexcex.models.features import direction_sign, row_features, vector
from dexcex.models.service import TrainOutput, load_scorer, register, train_and_write
from dexcex.models.train import TrainConfig
from dexcex.roots.paper import run_paper
from dexcex.sim.scenario import Scenario, load_scenario
from dexcex.store import Database
from tests.models.paperrun import run

pytestmark = pytest.mark.timeout(600)


def _scenario(seed: int) -> Scenario:
    return load_scenario("realistic").model_copy(update={"seed": seed})


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrainOutput]:
    tmp = tmp_path_factory.mktemp("train")
    db = Database.open(f"sqlite:///{tmp / 't.sqlite3'}", migrate=True)
    try:
        run_paper(load_settings(), _scenario(7), 1.5, db)
        rows, digest = rows_of_db(list(db.signals.iter_range()))
    finally:
        db.close()
    cfg = TrainConfig(folds=2, reps=200, min_rows=100, min_fold_rows=10)
    yield train_and_write(rows, digest, cfg, tmp / "report")


def _db(tmp_path: Path, out: TrainOutput, status: str, *, evidence: bool | None = None) -> Database:
    db = Database.open(f"sqlite:///{tmp_path / 'serve.sqlite3'}", migrate=True)
    rec = register(db.models, out)
    if evidence is not None:  # what the card says, set by the test
        card = dict(rec.card)
        ev = {"value": 1.0, "ci": [0.2, 1.8] if evidence else [-1.0, 3.0], "p": 0.01}
        card["evidence"] = {rec.learner: ev | {"passes": evidence}}
        with db.sessions.begin() as s:
            from dexcex.store.models import ModelRow

            row = s.get(ModelRow, rec.id)
            assert row is not None
            row.card = card
    db.models.set_status(rec.id, status, 0)
    return db


def _refusals(db: Database) -> list[str]:
    """Why each approved signal was not traded automatically (stored on the signal)."""
    rows = db.signals.iter_range()
    return [r["status_reason"] for r in rows if r["status"] == "expired" and r["status_reason"]]


def _settings(**execution: Any) -> Settings:
    """Drift off unless a test turns it on: another seed is another world, and its
    features drift from a 1.5-hour training run (the drift test measures that apart)."""
    s = load_settings()
    ex = {"drift_psi": 1e9, "drift_brier_margin": 1e9} | execution
    return s.model_copy(update={"execution": s.execution.model_copy(update=ex)})


def test_features_of_stored_signals_are_bit_equal_to_what_the_model_scored(
    tmp_path: Path, trained: TrainOutput, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _db(tmp_path, trained, "shadow")
    rec = db.models.with_status("shadow")[0]
    scorer = load_scorer(rec, "shadow")
    scored: dict[str, tuple[bytes, float]] = {}

    def seen(o: CoreOutput) -> None:
        s = o.signal
        if s.origin == "dex":
            v = scorer.vector(s.features, direction_sign(s.direction))
            scored[s.id] = (np.asarray(v).tobytes(), s.model_scores[rec.id])

    try:
        run(load_settings(), _scenario(8), 6.5, db, seen)
        rows, _ = rows_of_db(list(db.signals.iter_range()))
        # shadow mode: the rule and the model judged on the same labelled signals
        assert main(["model", "compare", rec.id, "--db", str(db.engine.url)]) == 0
        assert "model − rule" in capsys.readouterr().out
    finally:
        db.close()
    dex = [r for r in rows if r["origin"] == "dex"]
    assert len(dex) >= 1_000 and len(scored) == len(dex)
    for r in dex:
        v = vector(row_features(r), direction_sign(r["direction"]), scorer.names)
        mem, p = scored[r["id"]]
        assert np.asarray(v).tobytes() == mem, r["id"]
        assert scorer.score(row_features(r), direction_sign(r["direction"])) == p


def test_an_unpromoted_model_cannot_trade(tmp_path: Path, trained: TrainOutput) -> None:
    db = _db(tmp_path, trained, "candidate", evidence=True)
    try:
        ve = run(_settings(auto="model"), _scenario(8), 0.75, db)
        reasons = _refusals(db)
    finally:
        db.close()
    assert ve.execution is not None and ve.execution.journal.written_orders == 0
    assert reasons and all(r.endswith("no active model") for r in reasons)


def test_only_a_promoted_model_with_evidence_trades_and_only_its_top_decile(
    tmp_path: Path, trained: TrainOutput
) -> None:
    for evidence, want_orders in ((False, False), (True, True)):
        folder = tmp_path / str(evidence)
        folder.mkdir()
        db = _db(folder, trained, "active", evidence=evidence)
        rec = db.models.with_status("active")[0]
        scorer = load_scorer(rec, "active")
        try:
            ve = run(_settings(auto="model"), _scenario(8), 1.0, db)
            rows = {r["id"]: r for r in db.signals.iter_range()}
            reasons = _refusals(db)
        finally:
            db.close()
        ex = ve.execution
        assert ex is not None
        traded = [r for r in rows.values() if r["order_client_id"]]
        assert bool(traded) is want_orders
        cut = scorer.calibrate(scorer.cut)
        assert all(r["model_scores"][rec.id] >= cut for r in traded)
        # approved signals not traded, each saying why: the gate's name the model
        gate = [why for why in reasons if f"model {rec.id}:" in why]
        want = "below its top-decile cut" if evidence else "no walk-forward evidence"
        assert gate and all(want in why for why in gate), reasons


def test_automatic_trading_stops_at_the_daily_loss_limit(
    tmp_path: Path, trained: TrainOutput
) -> None:
    db = _db(tmp_path, trained, "active", evidence=True)
    s = _settings(auto="rules")  # every approved signal: enough trades to lose
    risk = s.core.risk.model_copy(update={"max_daily_loss_usd": 0.05})
    s = s.model_copy(update={"core": s.core.model_copy(update={"risk": risk})})
    first_seen: dict[str, int] = {}

    def sent(o: Order, now: int) -> None:
        if o.leg.value == "entry":
            first_seen.setdefault(o.client_order_id, now)

    try:
        ve = run(s, _scenario(8), 2.0, db, on_order=sent)
        rows = list(db.signals.iter_range())
    finally:
        db.close()
    ex = ve.execution
    assert ex is not None
    ks = ex.kill_switch.state
    assert ks.on and ks.reason is KillReason.DAILY_LOSS and ks.since_ms is not None
    entries = list(first_seen.values())
    assert entries and min(entries) < ks.since_ms
    assert all(t <= ks.since_ms for t in entries)  # none after the limit was reached
    later = [r for r in rows if r["created_ms"] > ks.since_ms]
    assert later and not any(r["order_client_id"] for r in later)


def test_drift_mid_run_pauses_automatic_trading_and_alerts(
    tmp_path: Path, trained: TrainOutput
) -> None:
    results = {}
    for shift in (None, 1.0):
        folder = tmp_path / str(shift)
        folder.mkdir()
        db = _db(folder, trained, "active", evidence=True)
        # a smaller window than the default 500, so the run can be short; the threshold
        # sized for it (the same world's 300-signal windows stay below 1)
        lim = {"drift_window": 300, "drift_min_signals": 300, "drift_psi": 1.0}
        s = _settings(auto="rules", **lim)
        alerts: list[tuple[bool, str, int]] = []
        entries: dict[str, int] = {}

        def started(ve: Any, alerts: list[tuple[bool, str, int]] = alerts) -> None:
            clock = ve.clock
            ve.execution.gate.on_alert = lambda on, msg: alerts.append((on, msg, clock.now_ms()))

        def sent(o: Order, now: int, entries: dict[str, int] = entries) -> None:
            if o.leg.value == "entry":
                entries.setdefault(o.client_order_id, now)

        try:  # the training run's world; from the first hour on, the DEX flow × 10
            ve = run(s, _scenario(7), 2.5, db, shift_after_h=shift, on_start=started, on_order=sent)
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
    start = _scenario(7).start_ms
    assert at > start + 3_600_000  # after the shift, not before
    assert all(t <= at for t in entries)  # no automatic entry once paused
