"""What the serving tests share: the realistic world by seed, a registered model in a
given status (its card's evidence set by the test), and why signals were not traded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dexcex.config import Settings, load_settings
from dexcex.models.service import TrainOutput, register
from dexcex.sim.scenario import Scenario, load_scenario
from dexcex.store import Database


def scenario(seed: int) -> Scenario:
    return load_scenario("realistic").model_copy(update={"seed": seed})


def serving_db(
    tmp_path: Path, out: TrainOutput, status: str, *, evidence: bool | None = None
) -> Database:
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


def refusals(db: Database) -> list[str]:
    """Why each approved signal was not traded automatically (stored on the signal)."""
    rows = db.signals.iter_range()
    return [r["status_reason"] for r in rows if r["status"] == "expired" and r["status_reason"]]


def serving_settings(**execution: Any) -> Settings:
    """Drift off unless a test turns it on: another seed is another world, and its
    features drift from a 1.5-hour training run (the drift test measures that apart)."""
    s = load_settings()
    ex = {"drift_psi": 1e9, "drift_brier_margin": 1e9} | execution
    return s.model_copy(update={"execution": s.execution.model_copy(update=ex)})
