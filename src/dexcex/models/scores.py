"""What a card reports per fold and out of sample, each with its block-bootstrap CI.

Probabilities ``p`` are judged against the label ``y``: AUC, Brier = mean (p − y)² and
log loss (both as means of per-signal losses, so they get CIs). The top decile — the
signals a scorer ranks in its best 10 % of the fold — is judged as a strategy: its
label hit rate and its mean net return after costs (the primary metric). Blocks are the
evaluation's (one asset's signals within one clock hour: ``evaluation.stats``).

A comparison of two scorers on the same rows is a paired series per offered signal:
the net return a scorer earns on it (0 when it does not pick it) minus the other's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from dexcex.evaluation.stats import Estimate, bootstrap_mean

__all__ = ["auc", "compare", "fold_metrics", "loss_diff", "reliability_bins", "top_decile"]

F = npt.NDArray[np.float64]
B = npt.NDArray[np.int64]
_EPS = 1e-6


def top_decile(raw: F) -> npt.NDArray[np.bool_]:
    """The signals ranked in the best 10 % (at least one), by the raw score: calibration
    is monotone but isotonic steps tie whole ranges, and a tie must not grow the decile."""
    sel = np.zeros(len(raw), dtype=np.bool_)
    if len(raw):
        k = max(1, round(0.1 * len(raw)))
        sel[np.argsort(-raw, kind="stable")[:k]] = True
    return sel


def auc(p: F, y: F) -> float | None:
    if len(np.unique(y)) < 2:
        return None
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p))


def fold_metrics(
    p: F, sel: npt.NDArray[np.bool_], y: F, net: F, blocks: B, reps: int, seed: int
) -> dict[str, Any]:
    """AUC, Brier, log loss of ``p``; the hit rate and net return of the picked ``sel``
    (the top decile); all with CIs."""
    pc = np.clip(p, _EPS, 1 - _EPS)

    def est(v: F, b: B) -> dict[str, object]:
        return bootstrap_mean(v, b, reps=reps, seed=seed).as_dict()

    return {
        "n": len(y),
        "positives": int(y.sum()),
        "auc": auc(pc, y),
        "brier": est((pc - y) ** 2, blocks),
        "log_loss": est(-(y * np.log(pc) + (1 - y) * np.log(1 - pc)), blocks),
        "top_decile": {
            "n": int(sel.sum()),
            "hit_rate": est(y[sel], blocks[sel]),
            "net_bps": est(net[sel], blocks[sel]),
        },
    }


def compare(
    a: npt.NDArray[np.bool_], b: npt.NDArray[np.bool_], net: F, blocks: B, reps: int, seed: int
) -> Estimate:
    """Mean per offered signal of (net earned picking ``a``) − (net earned picking ``b``)."""
    diff = np.where(a, net, 0.0) - np.where(b, net, 0.0)
    return bootstrap_mean(diff, blocks, reps=reps, seed=seed)


def loss_diff(pa: F, pb: F, y: F, blocks: B, reps: int, seed: int) -> Estimate:
    """Mean Brier of ``pb`` minus ``pa`` (above zero: ``a`` is better calibrated)."""
    return bootstrap_mean((pb - y) ** 2 - (pa - y) ** 2, blocks, reps=reps, seed=seed)


def reliability_bins(p: F, y: F) -> list[tuple[float, float, int]]:
    """(mean probability, label rate, n) per tenth of [0, 1]."""
    which = np.clip((np.asarray(p) * 10).astype(int), 0, 9)
    out = []
    for b in range(10):
        m = which == b
        if m.any():
            out.append((float(np.mean(p[m])), float(np.mean(y[m])), int(m.sum())))
    return out
