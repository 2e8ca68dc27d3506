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
from dexcex.models.card import build_card, write_card
from dexcex.models.data import frame_of
from dexcex.models.train import TrainConfig, Trained, train

__all__ = ["TrainOutput", "code_version", "train_and_write"]


@dataclass(frozen=True)
class TrainOutput:
    card: dict[str, Any]
    folder: Path
    trained: Trained


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
    """Train on ``rows`` (the export's), write the card under ``report/models/<id>/``."""
    fr = frame_of(rows, cfg.target, cfg.feature_set, data_hash)
    trained = train(fr, cfg)
    created = int(time.time() * 1000)
    stamp = datetime.fromtimestamp(created / 1000, UTC).strftime("%Y%m%dT%H%M%S")
    model_id = f"{cfg.learner}-{cfg.target.removeprefix('label_')}-{stamp}-{data_hash[:8]}"
    card = build_card(trained, cfg, model_id, created, code_version())
    folder = report / "models" / model_id
    write_card(card, trained, folder)
    return TrainOutput(card, folder, trained)
