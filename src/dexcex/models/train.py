"""``model train``: the three scorers through the same walk-forward folds, each
calibrated on a fold it never saw, judged on the next; then the kept model, fitted on
all but the last chunk and calibrated on that. The result is the card's content."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from dexcex.evaluation.stats import block_ids
from dexcex.labeling.outcomes import HORIZONS
from dexcex.models.data import Frame, TooFewRows
from dexcex.models.learners import LEARNERS, Calibrator, Fitted, calibrate, fit
from dexcex.models.scores import compare, fold_metrics, loss_diff, reliability_bins, top_decile
from dexcex.models.walkforward import Fold, final_split, walk_forward

__all__ = ["TrainConfig", "Trained", "train"]

F = npt.NDArray[np.float64]


@dataclass(frozen=True)
class TrainConfig:
    target: str = "label_5m"
    feature_set: str = "dex"
    learner: str = "lgbm"  # the one kept and registered; the card judges all three
    folds: int = 4
    calibration: str = "isotonic"
    seed: int = 0
    reps: int = 2000
    cluster_ms: int = 3_600_000
    alpha: float = 0.05
    min_rows: int = 200
    min_fold_rows: int = 20
    embargo_ms: int | None = None  # default: the horizon


@dataclass
class Trained:
    frame: Frame
    folds: list[dict[str, Any]]
    oos: dict[str, dict[str, Any]]  # learner → pooled out-of-sample metrics
    comparisons: dict[str, dict[str, Any]]
    evidence: dict[str, dict[str, Any]]
    equity: dict[str, tuple[list[int], list[float]]]  # learner → (ts, cumulative net bps)
    kept: Fitted
    calibrator: Calibrator
    cut: float  # raw score of the kept model's top decile (on its calibration window)
    importance: dict[str, float]
    params: dict[str, Any] = field(default_factory=dict)


def _check(fr: Frame, cfg: TrainConfig) -> None:
    if len(fr) < cfg.min_rows:
        why = "; ".join(f"{n:,} {r}" for r, n in fr.dropped.items()) or "none dropped"
        raise TooFewRows(
            f"{len(fr):,} labelled DEX signals at {fr.horizon}; training needs at least "
            f"{cfg.min_rows:,} (left out: {why})"
        )
    if len(np.unique(fr.y)) < 2:
        raise TooFewRows(f"every labelled signal has {cfg.target} = {bool(fr.y[0])}: one class")


def train(fr: Frame, cfg: TrainConfig) -> Trained:
    _check(fr, cfg)
    h_ms = HORIZONS[fr.horizon] * 1000
    emb = h_ms if cfg.embargo_ms is None else cfg.embargo_ms
    blocks = block_ids(fr.assets, [int(t) for t in fr.ts], cfg.cluster_ms)
    folds = walk_forward(fr.ts, cfg.folds, h_ms, emb)
    fold_docs: list[dict[str, Any]] = []
    pooled: dict[str, list[F]] = {k: [] for k in LEARNERS}
    picked: dict[str, list[npt.NDArray[np.bool_]]] = {k: [] for k in LEARNERS}
    test_idx: list[npt.NDArray[np.int64]] = []
    for fold in folds:
        doc, probs = _run_fold(fr, fold, cfg, blocks)
        fold_docs.append(doc)
        test_idx.append(fold.test)
        for k in LEARNERS:
            pooled[k].append(probs[k][0])
            picked[k].append(probs[k][1])
    idx = np.concatenate(test_idx)
    p = {k: np.concatenate(pooled[k]) for k in LEARNERS}
    sel = {k: np.concatenate(picked[k]) for k in LEARNERS}
    y, net, b = fr.y[idx], fr.net[idx], blocks[idx]
    oos = {k: fold_metrics(p[k], sel[k], y, net, b, cfg.reps, cfg.seed) for k in LEARNERS}
    for k in LEARNERS:
        oos[k]["bins"] = reliability_bins(p[k], y)
    comps = {
        f"{a}_vs_{c}": {
            "net_bps_per_offered": compare(sel[a], sel[c], net, b, cfg.reps, cfg.seed).as_dict(),
            "brier_gain": loss_diff(p[a], p[c], y, b, cfg.reps, cfg.seed).as_dict(),
        }
        for a, c in (("lgbm", "logistic"), ("lgbm", "rule"), ("logistic", "rule"))
    }
    evidence = {k: _evidence(oos[k], cfg.alpha) for k in LEARNERS}
    equity = {
        k: (
            [int(t) for t in fr.ts[idx][sel[k]]],
            np.cumsum(net[sel[k]]).tolist(),
        )
        for k in LEARNERS
    }
    kept, cal, cut = _final(fr, cfg, h_ms, emb)
    return Trained(
        fr, fold_docs, oos, comps, evidence, equity, kept, cal, cut, kept.importance, kept.params
    )


def _run_fold(
    fr: Frame, fold: Fold, cfg: TrainConfig, blocks: npt.NDArray[np.int64]
) -> tuple[dict[str, Any], dict[str, tuple[F, npt.NDArray[np.bool_]]]]:
    fit_f, cal_f, test_f = fr.take(fold.fit), fr.take(fold.calib), fr.take(fold.test)
    for name, part in (("fit", fit_f), ("calibration", cal_f), ("test", test_f)):
        if len(part) < cfg.min_fold_rows or len(np.unique(part.y)) < 2:
            raise TooFewRows(
                f"fold {fold.index}: its {name} window has {len(part)} rows "
                f"({int(part.y.sum())} positive) after purging; fewer folds or more data"
            )
    probs: dict[str, tuple[F, npt.NDArray[np.bool_]]] = {}
    metrics: dict[str, Any] = {}
    for k in LEARNERS:
        model = fit(k, fit_f, cfg.seed)
        cal = calibrate(model.predict(cal_f), cal_f.y, cfg.calibration)
        raw = model.predict(test_f)
        probs[k] = (cal.apply(raw), top_decile(raw))
        metrics[k] = fold_metrics(
            *probs[k], test_f.y, test_f.net, blocks[fold.test], cfg.reps, cfg.seed
        )
    doc = {
        "index": fold.index,
        "bounds_ms": list(fold.bounds_ms),
        "rows": {"fit": len(fit_f), "calibration": len(cal_f), "test": len(test_f)},
        "purged": fold.purged,
        "metrics": metrics,
    }
    return doc, probs


def _evidence(m: dict[str, Any], alpha: float) -> dict[str, Any]:
    net = m["top_decile"]["net_bps"]
    ci = net["ci"]
    ok = bool(ci is not None and ci[0] > 0 and net["p"] < alpha)
    return {
        "metric": "out-of-sample top-decile mean net return after costs, bps",
        "value": net["value"],
        "ci": ci,
        "p": net["p"],
        "passes": ok,
    }


def _final(fr: Frame, cfg: TrainConfig, h_ms: int, emb: int) -> tuple[Fitted, Calibrator, float]:
    """The kept model, its calibrator, and its top-decile cut: the raw score at the 90th
    percentile of the calibration window (what serving compares a signal's score to)."""
    split = final_split(fr.ts, cfg.folds, h_ms, emb)
    fit_f, cal_f = fr.take(split.fit), fr.take(split.calib)
    model = fit(cfg.learner, fit_f, cfg.seed)
    raw = model.predict(cal_f)
    cut = float(np.quantile(raw, 0.9)) if len(raw) else 1.0
    return model, calibrate(raw, cal_f.y, cfg.calibration), cut
