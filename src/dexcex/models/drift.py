"""Drift of what a served model sees: PSI per feature against its training data, and
the rolling Brier score of its probabilities once outcomes are known.

PSI = Σ (aᵢ − eᵢ) ln(aᵢ / eᵢ) over the training deciles of a feature (eᵢ the training
share of bin i, aᵢ the live share; NaN is a bin of its own; shares floored at 1e-4).
Rule of thumb: < 0.1 stable, 0.1-0.25 moving, > 0.25 shifted. Pure: values in, values
out; the monitor decides what a threshold crossing does.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dexcex.models.features import DIRECTION

__all__ = ["DriftMonitor", "DriftState", "reference_of"]

_FLOOR = 1e-4


def reference_of(names: Sequence[str], columns: Sequence[Sequence[float]]) -> dict[str, Any]:
    """Per feature: the inner decile edges of its training values, and each bin's share
    (the last bin is NaN)."""
    ref: dict[str, Any] = {}
    for name, col in zip(names, columns, strict=True):
        if name == DIRECTION:  # the trade's own side, not the market: a run of longs is no drift
            continue
        vals = sorted(v for v in col if not math.isnan(v))
        n = len(col)
        edges: list[float] = []
        if vals:
            qs = [vals[min(len(vals) - 1, int(len(vals) * q / 10))] for q in range(1, 10)]
            edges = sorted(set(qs))
        counts = [0] * (len(edges) + 2)
        for v in col:
            counts[_bin(v, edges)] += 1
        ref[name] = {"edges": edges, "share": [c / n if n else 0.0 for c in counts]}
    return ref


def _bin(v: float, edges: list[float]) -> int:
    return len(edges) + 1 if math.isnan(v) else bisect.bisect_right(edges, v)


@dataclass
class DriftState:
    psi: dict[str, float]
    brier: float | None
    signals: int
    outcomes: int


@dataclass
class DriftMonitor:
    """Counts the live vectors of one model over a window of the last ``window`` signals
    and keeps the last ``window`` (probability, label) pairs."""

    names: list[str]
    reference: dict[str, Any]
    window: int = 500
    _rows: deque[list[int]] = field(default_factory=deque)
    _counts: dict[str, list[int]] = field(default_factory=dict)
    _scored: deque[float] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self._watched = [(i, n) for i, n in enumerate(self.names) if n in self.reference]
        for _, n in self._watched:
            self._counts[n] = [0] * len(self.reference[n]["share"])

    def observe(self, vec: Sequence[float]) -> None:
        bins = [_bin(vec[i], self.reference[n]["edges"]) for i, n in self._watched]
        for (_, n), b in zip(self._watched, bins, strict=True):
            self._counts[n][b] += 1
        self._rows.append(bins)
        if len(self._rows) > self.window:
            old = self._rows.popleft()
            for (_, n), b in zip(self._watched, old, strict=True):
                self._counts[n][b] -= 1

    def outcome(self, p: float, label: bool) -> None:
        self._scored.append((p - (1.0 if label else 0.0)) ** 2)
        if len(self._scored) > self.window:
            self._scored.popleft()

    def psi(self, name: str) -> float:
        total = len(self._rows)
        if total == 0:
            return 0.0
        out = 0.0
        for e, c in zip(self.reference[name]["share"], self._counts[name], strict=True):
            a, e2 = max(c / total, _FLOOR), max(e, _FLOOR)
            out += (a - e2) * math.log(a / e2)
        return out

    def state(self) -> DriftState:
        brier = sum(self._scored) / len(self._scored) if self._scored else None
        return DriftState(
            {n: self.psi(n) for _, n in self._watched}, brier, len(self._rows), len(self._scored)
        )
