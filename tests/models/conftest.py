"""The model every serving test module starts from: trained on 1.6 hours of the realistic
world (seed 7), once per test process (the serving tests are split across modules so that
the suite's two workers share their virtual hours; a worker trains once for all of them)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dexcex.config import load_settings
from dexcex.models.data import rows_of_db
from dexcex.models.service import TrainOutput, train_and_write
from dexcex.models.train import TrainConfig
from dexcex.roots.paper import run_paper
from dexcex.store import Database
from tests.models.serving import scenario


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrainOutput]:
    tmp = tmp_path_factory.mktemp("train")
    db = Database.open(f"sqlite:///{tmp / 't.sqlite3'}", migrate=True)
    try:
        # no settling hour: the 5-minute labels the model learns of the first 1.5 hours
        # are in after 0.1 more (a signal of the last minutes is left out, with its reason)
        run_paper(load_settings(), scenario(7), 1.6, db, settle=False)
        rows, digest = rows_of_db(list(db.signals.iter_range()))
    finally:
        db.close()
    cfg = TrainConfig(folds=2, reps=200, min_rows=100, min_fold_rows=10)
    yield train_and_write(rows, digest, cfg, tmp / "report")
