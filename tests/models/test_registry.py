"""The registry: skops files of plain data, their SHA-256 checked before every load; a
modified file is refused in one line; one active model at a time; served scores equal
what training computed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dexcex.cli.main import main
from dexcex.models.data import frame_of, rows_of_db
from dexcex.models.features import direction_sign
from dexcex.models.registry import ModelRefused, load_payload, save_payload
from dexcex.models.service import TrainOutput, load_scorer, register, train_and_write
from dexcex.models.train import TrainConfig
from dexcex.store import Database
from tests.models.synth import signal_rows


def _trained(tmp_path: Path, learner: str = "lgbm") -> tuple[TrainOutput, list[dict[str, object]]]:
    rows, digest = rows_of_db(signal_rows(1_500, edge=25.0))
    cfg = TrainConfig(learner=learner, reps=200)
    return train_and_write(rows, digest, cfg, tmp_path / "report"), rows


@pytest.fixture
def db(tmp_path: Path) -> Database:
    d = Database.open(f"sqlite:///{tmp_path / 'm.sqlite3'}", migrate=True)
    yield d  # type: ignore[misc]
    d.close()


@pytest.mark.parametrize("learner", ["lgbm", "logistic"])
def test_served_scores_equal_the_trained_model(tmp_path: Path, db: Database, learner: str) -> None:
    out, rows = _trained(tmp_path, learner)
    rec = register(db.models, out)
    assert db.models.get(rec.id) is not None and rec.status == "candidate"
    scorer = load_scorer(rec, "shadow")
    fr = out.trained.frame
    want = out.trained.calibrator.apply(out.trained.kept.predict(fr))
    feats = [r for r in rows if r["origin"] == "dex"]
    by_id = {r["id"]: r for r in feats}
    got = []
    for sid in fr.ids:
        r = by_id[sid]
        f = {k[2:]: v for k, v in r.items() if k.startswith("f_") and v is not None}
        got.append(scorer.score(f, direction_sign(r["direction"])))
    np.testing.assert_allclose(np.array(got), want, rtol=0, atol=1e-12)


def test_a_modified_file_is_refused_in_one_line(
    tmp_path: Path, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    out, _ = _trained(tmp_path)
    rec = register(db.models, out)
    path = Path(rec.path)
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0x01
    path.write_bytes(bytes(blob))
    with pytest.raises(ModelRefused, match="modified since it was registered"):
        load_scorer(rec, "active")
    url = str(db.engine.url)
    rc = main(["model", "promote", rec.id, "--to", "active", "--db", url])
    err = capsys.readouterr().err.strip()
    assert rc == 1 and "refused" in err and len(err.splitlines()) <= 2  # one line, wrapped
    assert db.models.get(rec.id).status == "candidate"  # type: ignore[union-attr]


class Gadget:
    """A type nobody trusted."""


def test_a_file_with_objects_in_it_is_refused(tmp_path: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    path = tmp_path / "evil.skops"
    digest = save_payload({"kind": "lgbm", "obj": Gadget()}, path)
    with pytest.raises(ModelRefused, match="untrusted types"):
        load_payload(path, digest)
    digest = save_payload({"kind": "lgbm", "obj": [LogisticRegression()]}, path)
    with pytest.raises(ModelRefused, match="LogisticRegression, not plain data"):
        load_payload(path, digest)


def test_one_active_model_at_a_time(tmp_path: Path, db: Database) -> None:
    a = register(db.models, _trained(tmp_path / "a")[0])
    b = register(db.models, _trained(tmp_path / "b", "logistic")[0])
    url = str(db.engine.url)
    assert main(["model", "promote", a.id, "--to", "active", "--db", url]) == 0
    assert main(["model", "promote", b.id, "--to", "active", "--db", url]) == 0
    assert db.models.get(a.id).status == "retired"  # type: ignore[union-attr]
    assert [m.id for m in db.models.with_status("active")] == [b.id]
    assert main(["model", "list", "--db", url]) == 0
    assert main(["model", "show", b.id, "--db", url]) == 0
    assert main(["model", "retire", b.id, "--db", url]) == 0
    assert db.models.with_status("active") == []


def test_frame_of_db_rows_is_the_exports(tmp_path: Path) -> None:
    rows, digest = rows_of_db(signal_rows(300, edge=0.0))
    fr = frame_of(rows, "label_5m", "scores", digest)
    assert fr.names == ["score_orderflow", "score_liquidity", "direction"]
