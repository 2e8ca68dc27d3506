"""``fit-rule``: today's confidence logistic re-fitted, reproducibly, the way models are.

The rule is σ(bias + Σ wₖ sₖ) over the six direction-aligned scores (``signals.scoring``)
with every wₖ ≥ 0 (so confidence is monotone in each score). Its confidence is read as
the probability of being right about the direction at the horizon (``evaluation.
calibration``), so the target is the gross direction hit (flat outcomes left out).
The fit minimises log loss + ``l2``·Σ wₖ² under the bounds (L-BFGS-B); it is judged on
the same purged walk-forward folds as a model, against the weights in force.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from dexcex.config.core_settings import ScoreWeights
from dexcex.evaluation.stats import block_ids, bootstrap_mean
from dexcex.labeling.outcomes import HORIZONS
from dexcex.models.data import Frame, TooFewRows
from dexcex.models.features import RULE_SCORES
from dexcex.models.walkforward import walk_forward

__all__ = ["RuleFit", "fit_rule"]

F = npt.NDArray[np.float64]
_FIELDS = [n.removeprefix("score_") for n in RULE_SCORES]
_EPS = 1e-9


@dataclass(frozen=True)
class RuleFit:
    weights: dict[str, float]
    folds: list[dict[str, Any]]
    rows: int
    l2: float


def _scores(fr: Frame) -> F:
    cols = [fr.names.index(n) if n in fr.names else -1 for n in RULE_SCORES]
    out = np.zeros((len(fr), len(cols)))
    for j, c in enumerate(cols):
        if c >= 0:
            out[:, j] = np.nan_to_num(fr.x[:, c])
    return out


def _prob(w: F, s: F) -> F:
    return np.asarray(1.0 / (1.0 + np.exp(-(w[0] + s @ w[1:]))), dtype=np.float64)


def _fit(s: F, y: F, l2: float, start: F) -> F:
    from scipy.optimize import minimize

    def loss(w: F) -> tuple[float, F]:
        p = np.clip(_prob(w, s), _EPS, 1 - _EPS)
        ll = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)) + l2 * np.sum(w[1:] ** 2)
        g = np.concatenate([[np.mean(p - y)], s.T @ (p - y) / len(y) + 2 * l2 * w[1:]])
        return float(ll), g

    bounds = [(None, None)] + [(0.0, None)] * s.shape[1]
    res = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds)
    return np.asarray(res.x, dtype=np.float64)


def fit_rule(fr: Frame, current: ScoreWeights, *, folds: int = 4, l2: float = 0.01) -> RuleFit:
    keep = fr.ret != 0
    y_all = (fr.ret > 0).astype(float)
    if int(keep.sum()) < 200:
        raise TooFewRows(f"{int(keep.sum())} signals with a direction outcome; fit-rule needs 200")
    s_all = _scores(fr)
    now = np.array([current.bias, *[getattr(current, f) for f in _FIELDS]])
    h_ms = HORIZONS[fr.horizon] * 1000
    blocks = block_ids(fr.assets, [int(t) for t in fr.ts], 3_600_000)
    docs = []
    for fold in walk_forward(fr.ts, folds, h_ms, h_ms):
        a, t = fold.fit[keep[fold.fit]], fold.test[keep[fold.test]]
        w = _fit(s_all[a], y_all[a], l2, now.copy())
        p_new, p_now, y = _prob(w, s_all[t]), _prob(now, s_all[t]), y_all[t]
        gain = (p_now - y) ** 2 - (p_new - y) ** 2
        docs.append(
            {
                "index": fold.index,
                "rows": {"fit": len(a), "test": len(t)},
                "brier_refit": float(np.mean((p_new - y) ** 2)),
                "brier_current": float(np.mean((p_now - y) ** 2)),
                "brier_gain": bootstrap_mean(gain, blocks[t], reps=500).as_dict(),
            }
        )
    w = _fit(s_all[keep], y_all[keep], l2, now.copy())
    weights = {"bias": round(float(w[0]), 4)} | {
        f: round(float(v), 4) for f, v in zip(_FIELDS, w[1:], strict=True)
    }
    return RuleFit(weights, docs, int(keep.sum()), l2)
