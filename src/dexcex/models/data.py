"""The labelled dataset as arrays: a file written by ``dexcex dataset export`` (Parquet
or CSV) or the signals of a database, reduced to the DEX signals whose target is known.

Rows are sorted by signal time; the data hash is the SHA-256 of the file (or, from a
database, of the rows as canonical JSON), so a card names exactly what it learnt from.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dexcex.dataset.export import BASE, OUTCOMES, feature_columns, to_rows
from dexcex.domain import DexcexError
from dexcex.labeling.outcomes import HORIZONS
from dexcex.models.features import direction_sign, feature_names, row_features, vector

__all__ = [
    "Frame",
    "TooFewRows",
    "frame_of",
    "is_regression",
    "read_dataset",
    "rows_of_db",
    "target_horizon",
]

F = npt.NDArray[np.float64]
_TYPES = {c.name: c.type for c in BASE + OUTCOMES}


class TooFewRows(DexcexError):
    """The data cannot support training (too few labelled rows, or one class only)."""


@dataclass(frozen=True)
class Frame:
    """The rows a model learns from, in time order."""

    ids: list[str]
    ts: npt.NDArray[np.int64]
    assets: list[str]
    names: list[str]  # the model's inputs, in column order of ``x``
    x: F
    y: F  # the label, 0 or 1
    net: F  # net return at the target horizon, bps (a regression's target)
    ret: F  # gross return in the signal's direction at the target horizon, bps
    rule: F  # the hand-set rule's confidence, as stored
    horizon: str
    data_hash: str
    dropped: dict[str, int]  # why rows were left out → how many

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, idx: npt.NDArray[np.int64]) -> Frame:
        return Frame(
            [self.ids[i] for i in idx],
            self.ts[idx],
            [self.assets[i] for i in idx],
            self.names,
            self.x[idx],
            self.y[idx],
            self.net[idx],
            self.ret[idx],
            self.rule[idx],
            self.horizon,
            self.data_hash,
            self.dropped,
        )


def target_horizon(target: str) -> str:
    """``label_5m`` (the label: profitable after costs) or ``net_5m`` (the net return
    after costs, bps: a regression) → ``5m``."""
    h = target.removeprefix("label_").removeprefix("net_").removesuffix("_bps")
    if not target.startswith(("label_", "net_")) or h not in HORIZONS:
        raise ValueError(
            f"unknown target {target!r}: label_<h> or net_<h> for h in {', '.join(HORIZONS)}"
        )
    return h


def is_regression(target: str) -> bool:
    """A net-return target (``net_5m``) rather than a label."""
    target_horizon(target)
    return target.startswith("net_")


def read_dataset(path: Path) -> tuple[list[dict[str, Any]], str]:
    """The rows of an exported dataset file, and the file's SHA-256."""
    if not path.exists():
        raise DexcexError(f"no dataset at {path}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist(), digest
    if path.suffix == ".csv":
        with open(path, newline="", encoding="utf-8") as fh:
            return [_typed(r) for r in csv.DictReader(fh)], digest
    raise DexcexError(f"{path}: a dataset is a .parquet or .csv file from `dexcex dataset export`")


def _typed(r: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in r.items():
        t = "float64" if k.startswith("f_") else _TYPES.get(k, "string")
        if v == "":
            out[k] = None
        elif t == "float64":
            out[k] = float(v)
        elif t == "int64":
            out[k] = int(v)
        elif t == "bool":
            out[k] = v == "True"
        else:
            out[k] = v
    return out


def rows_of_db(signals: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    """Database signal rows → the export's rows (the same code), and their hash."""
    rows = list(to_rows(signals, feature_columns(signals)))
    blob = json.dumps(rows, sort_keys=True, default=str).encode()
    return rows, hashlib.sha256(blob).hexdigest()


def frame_of(
    rows: Iterable[dict[str, Any]], target: str, feature_set: str, data_hash: str
) -> Frame:
    """The DEX signals with a known target, as arrays, in time order."""
    h = target_horizon(target)
    dropped: dict[str, int] = {}
    keep: list[dict[str, Any]] = []
    for r in rows:
        why = _left_out(r, f"label_{h}", h)
        if why is None:
            keep.append(r)
        else:
            dropped[why] = dropped.get(why, 0) + 1
    keep.sort(key=lambda r: (r["created_ms"], r["id"]))
    feats = [row_features(r) for r in keep]
    names = feature_names(sorted({k for f in feats for k in f}), feature_set)
    x = np.array(
        [
            vector(f, direction_sign(r["direction"]), names)
            for f, r in zip(feats, keep, strict=True)
        ],
        dtype=np.float64,
    ).reshape(len(keep), len(names))
    return Frame(
        ids=[r["id"] for r in keep],
        ts=np.array([r["created_ms"] for r in keep], dtype=np.int64),
        assets=[r["asset_id"] for r in keep],
        names=names,
        x=x,
        y=np.array([1.0 if r[f"label_{h}"] else 0.0 for r in keep]),
        net=np.array([r[f"net_{h}_bps"] for r in keep], dtype=np.float64),
        ret=np.array([r[f"ret_{h}_bps"] for r in keep], dtype=np.float64),
        rule=np.array([r["confidence"] for r in keep], dtype=np.float64),
        horizon=h,
        data_hash=data_hash,
        dropped=dropped,
    )


def _left_out(r: dict[str, Any], target: str, h: str) -> str | None:
    if r.get("origin") != "dex":
        return "not a DEX signal (the CEX-only baseline has no DEX features)"
    if r.get(target) is None or r.get(f"net_{h}_bps") is None:
        return f"no outcome at {h}"
    return None
