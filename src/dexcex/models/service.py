"""What the ``model`` commands call: train and write a card, register its model."""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dexcex import __version__
from dexcex.domain import DexcexError
from dexcex.models.card import build_card, write_card
from dexcex.models.data import frame_of, is_regression
from dexcex.models.drift import reference_of
from dexcex.models.registry import load_payload, save_payload
from dexcex.models.serving import ModelScorer, scorer_of
from dexcex.models.train import TrainConfig, Trained, train
from dexcex.store.model_store import ModelRecord, ModelStore

__all__ = [
    "TrainOutput",
    "code_version",
    "load_scorer",
    "payload_of",
    "register",
    "train_and_write",
]


@dataclass(frozen=True)
class TrainOutput:
    card: dict[str, Any]
    folder: Path
    trained: Trained | None  # None for a regression: judged on its card, never served


def code_version() -> dict[str, str]:
    """The package version and, in a git checkout, the commit (with ``+dirty``)."""
    here = Path(__file__).resolve().parent.parent
    out = {"dexcex": __version__}
    git = shutil.which("git")
    if git is None:
        return out
    try:
        sha = _git(git, here, "rev-parse", "HEAD")
        dirty = _git(git, here, "status", "--porcelain", "--", ".")
    except (OSError, subprocess.SubprocessError):
        return out
    if sha:
        out["commit"] = sha + ("+dirty" if dirty else "")
    return out


def _git(git: str, cwd: Path, *args: str) -> str:
    proc = subprocess.run(  # noqa: S603 - our own fixed arguments
        [git, *args], cwd=cwd, capture_output=True, text=True, timeout=5, check=False
    )
    return proc.stdout.strip() if proc.returncode == 0 else ""


def train_and_write(
    rows: list[dict[str, Any]], data_hash: str, cfg: TrainConfig, report: Path
) -> TrainOutput:
    """Train on ``rows`` (the export's), write the card under ``report/models/<id>/``: a
    classifier for a label target, a regression for a net-return one (``net_5m``)."""
    fr = frame_of(rows, cfg.target, cfg.feature_set, data_hash)
    created = int(time.time() * 1000)
    stamp = datetime.fromtimestamp(created / 1000, UTC).strftime("%Y%m%dT%H%M%S")
    model_id = f"{cfg.learner}-{cfg.target.removeprefix('label_')}-{stamp}-{data_hash[:8]}"
    folder = report / "models" / model_id
    if is_regression(cfg.target):
        from dexcex.models.regress import train_regression
        from dexcex.models.regress_card import build_regression_card, write_regression_card

        reg = train_regression(fr, cfg)
        card = build_regression_card(reg, cfg, model_id, created, code_version())
        write_regression_card(card, reg, folder)
        return TrainOutput(card, folder, None)
    trained = train(fr, cfg)
    card = build_card(trained, cfg, model_id, created, code_version())
    write_card(card, trained, folder)
    return TrainOutput(card, folder, trained)


def payload_of(card: dict[str, Any], trained: Trained) -> dict[str, Any]:
    """What the model file holds: plain data only (see ``registry``)."""
    fr, kept = trained.frame, trained.kept
    out: dict[str, Any] = {
        "kind": kept.kind,
        "id": card["id"],
        "names": list(fr.names),
        "target": card["target"],
        "horizon": fr.horizon,
        "calibration": trained.calibrator.as_payload(),
        "cut": trained.cut,
        "reference": reference_of(fr.names, [fr.x[:, j].tolist() for j in range(len(fr.names))]),
        "reference_brier": trained.oos[kept.kind]["brier"]["value"],
    }
    if kept.kind == "lgbm":
        out["model"] = kept.payload["model"]
    else:
        out["params"] = kept.payload
    return out


def register(models: ModelStore, out: TrainOutput) -> ModelRecord:
    """Write the model file beside its card and add it to the registry as a candidate."""
    if out.trained is None:
        raise DexcexError(
            f"{out.card['id']}: a net-return regression is judged on its card only; the "
            "registry serves classifiers (train with --target label_<h> to register)"
        )
    path = (out.folder / "model.skops").resolve()
    digest = save_payload(payload_of(out.card, out.trained), path)
    now = int(time.time() * 1000)
    rec = ModelRecord(
        out.card["id"], now, now, "candidate", out.card["learner"], str(path), digest, out.card
    )
    models.add(rec)
    return rec


def load_scorer(rec: ModelRecord, role: str) -> ModelScorer:
    """The scorer of a registered model, its file checked first (``ModelRefused``)."""
    return scorer_of(load_payload(Path(rec.path), rec.sha256), role)
