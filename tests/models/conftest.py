"""The model every serving test module starts from: trained on 1.6 hours of the realistic
world (seed 7), once per worker. The paper run it learns from (the slow part) is made once
per test run: under xdist the first worker to need it runs it, the others wait and read it.
Each worker trains its own model from those rows, into its own folder (the registry writes
the model file there; a model holds fitted functions, which do not pickle)."""

from __future__ import annotations

import fcntl
from pathlib import Path

import pytest

from dexcex.config import load_settings
from dexcex.models.data import rows_of_db
from dexcex.models.service import TrainOutput, train_and_write
from dexcex.models.train import TrainConfig
from dexcex.roots.paper import run_paper
from dexcex.store import Database
from tests.models.serving import scenario

_DB = "paper.sqlite3"


def _paper_run(path: Path) -> None:
    """The paper run at ``path``, written under another name first: a run cut short
    leaves nothing a waiting worker would take for the finished one."""
    part = path.with_suffix(".part")
    part.unlink(missing_ok=True)
    db = Database.open(f"sqlite:///{part}", migrate=True)
    try:
        # no settling hour: the 5-minute labels the model learns of the first 1.5 hours
        # are in after 0.1 more (a signal of the last minutes is left out, with its reason)
        run_paper(load_settings(), scenario(7), 1.6, db, settle=False)
    finally:
        db.close()
    part.rename(path)


def _train(db_path: Path, folder: Path) -> TrainOutput:
    db = Database.open(f"sqlite:///{db_path}", migrate=False)
    try:
        rows, digest = rows_of_db(list(db.signals.iter_range()))
    finally:
        db.close()
    cfg = TrainConfig(folds=2, reps=200, min_rows=100, min_fold_rows=10)
    return train_and_write(rows, digest, cfg, folder / "report")


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> TrainOutput:
    own = tmp_path_factory.mktemp("train")
    if worker_id == "master":  # not distributed
        _paper_run(own / _DB)
        return _train(own / _DB, own)
    # this run's workers share the parent of their base folders (xdist's own advice)
    shared = tmp_path_factory.getbasetemp().parent / "serving-paper-run"
    shared.mkdir(exist_ok=True)
    with (shared / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / _DB).exists():
            _paper_run(shared / _DB)
    return _train(shared / _DB, own)
