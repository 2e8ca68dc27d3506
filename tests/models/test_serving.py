"""A served model in the engine, on the realistic simulator in virtual time: the features
of every stored signal are, bit for bit, the ones the model scored; shadow mode compared."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dexcex.cli.main import main
from dexcex.config import load_settings
from dexcex.core import CoreOutput
from dexcex.models.data import rows_of_db
from dexcex.models.features import direction_sign, row_features, vector
from dexcex.models.service import TrainOutput, load_scorer
from tests.models.paperrun import run
from tests.models.serving import scenario, serving_db

pytestmark = pytest.mark.timeout(600)


def test_features_of_stored_signals_are_bit_equal_to_what_the_model_scored(
    tmp_path: Path, trained: TrainOutput, capsys: pytest.CaptureFixture[str]
) -> None:
    db = serving_db(tmp_path, trained, "shadow")
    rec = db.models.with_status("shadow")[0]
    scorer = load_scorer(rec, "shadow")
    scored: dict[str, tuple[bytes, float]] = {}

    def seen(o: CoreOutput) -> None:
        s = o.signal
        if s.origin == "dex":
            v = scorer.vector(s.features, direction_sign(s.direction))
            scored[s.id] = (np.asarray(v).tobytes(), s.model_scores[rec.id])

    try:
        run(load_settings(), scenario(8), 6.5, db, seen)
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
