"""The model every serving test module starts from: trained on 1.6 hours of the realistic
world (seed 7), once per test run. Under xdist the serving modules run on several
workers: the first to need the model trains it, the others wait for it and read it."""

from __future__ import annotations

import fcntl
import pickle
from pathlib import Path

import pytest

from dexcex.config import load_settings
from dexcex.models.data import rows_of_db
from dexcex.models.service import TrainOutput, train_and_write
from dexcex.models.train import TrainConfig
from dexcex.roots.paper import run_paper
from dexcex.store import Database
from tests.models.serving import scenario


def _train(folder: Path) -> TrainOutput:
    db = Database.open(f"sqlite:///{folder / 't.sqlite3'}", migrate=True)
    try:
        # no settling hour: the 5-minute labels the model learns of the first 1.5 hours
        # are in after 0.1 more (a signal of the last minutes is left out, with its reason)
        run_paper(load_settings(), scenario(7), 1.6, db, settle=False)
        rows, digest = rows_of_db(list(db.signals.iter_range()))
    finally:
        db.close()
    cfg = TrainConfig(folds=2, reps=200, min_rows=100, min_fold_rows=10)
    return train_and_write(rows, digest, cfg, folder / "report")


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> TrainOutput:
    if worker_id == "master":  # not distributed
        return _train(tmp_path_factory.mktemp("train"))
    # this run's workers share the parent of their base folders (xdist's own advice)
    shared = tmp_path_factory.getbasetemp().parent / "serving-model"
    shared.mkdir(exist_ok=True)
    done = shared / "train-output.pickle"
    with (shared / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists():
            out: TrainOutput = pickle.loads(done.read_bytes())
            return out
        out = _train(shared)
        done.write_bytes(pickle.dumps(out))
        return out
