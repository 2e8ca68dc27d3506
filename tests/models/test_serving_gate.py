"""The gate that decides who trades by itself, on the realistic simulator in virtual
time: only a promoted model with evidence, only its top decile, and never past the
daily loss limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from dexcex.domain import Order
from dexcex.execution.kill_switch import KillReason
from dexcex.models.service import TrainOutput, load_scorer
from tests.models.paperrun import run
from tests.models.serving import refusals, scenario, serving_db, serving_settings

pytestmark = pytest.mark.timeout(600)


def test_an_unpromoted_model_cannot_trade(tmp_path: Path, trained: TrainOutput) -> None:
    db = serving_db(tmp_path, trained, "candidate", evidence=True)
    try:
        ve = run(serving_settings(auto="model"), scenario(8), 0.75, db)
        reasons = refusals(db)
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
        db = serving_db(folder, trained, "active", evidence=evidence)
        rec = db.models.with_status("active")[0]
        scorer = load_scorer(rec, "active")
        try:
            ve = run(serving_settings(auto="model"), scenario(8), 1.0, db)
            rows = {r["id"]: r for r in db.signals.iter_range()}
            reasons = refusals(db)
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
    db = serving_db(tmp_path, trained, "active", evidence=True)
    s = serving_settings(auto="rules")  # every approved signal: enough trades to lose
    risk = s.core.risk.model_copy(update={"max_daily_loss_usd": 0.05})
    s = s.model_copy(update={"core": s.core.model_copy(update={"risk": risk})})
    first_seen: dict[str, int] = {}

    def sent(o: Order, now: int) -> None:
        if o.leg.value == "entry":
            first_seen.setdefault(o.client_order_id, now)

    try:
        ve = run(s, scenario(8), 2.0, db, on_order=sent)
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
