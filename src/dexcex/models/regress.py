"""``model train --target net_5m``: the net return after costs, in bps, as a regression.

Three scorers through the very walk-forward folds of the classifier path (``walkforward``:
purged, embargoed; the embargo the horizon):

* ``lgbm``: LightGBM's regressor (the classifier's parameters, squared loss);
* ``ridge``: L2-regularised linear regression (scikit-learn) on median-imputed,
  standardised inputs — the baseline;
* ``rule``: today's hand-set confidence, as stored — a ranking, not a forecast in bps.

A prediction in bps needs no calibration, so each fold fits on its fit *and* calibration
chunks (both purged and embargoed against the test chunk) and is judged on the test chunk:

* IC: Spearman's rank correlation of the prediction with the realised net return, and
  Pearson's. Each is the mean of per-signal products of standardised (ranks of) both, so
  its CI is the evaluation's block bootstrap of that mean (the ranks those of the window);
* RMSE in bps (the fitted two only);
* the top decile by prediction, as a strategy: its label hit rate and mean net return
  after costs (the primary metric, as for classifiers), with CIs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from dexcex.evaluation.stats import block_ids, bootstrap_mean
from dexcex.labeling.outcomes import HORIZONS
from dexcex.models.data import Frame, TooFewRows
from dexcex.models.learners import LGBM_PARAMS, Fitted, _safe
from dexcex.models.scores import compare, top_decile
from dexcex.models.train import TrainConfig
from dexcex.models.walkforward import Fold, walk_forward

__all__ = ["REGRESSORS", "TrainedRegression", "fit_regressor", "ic_terms", "train_regression"]

F = npt.NDArray[np.float64]
B = npt.NDArray[np.int64]
REGRESSORS = ("lgbm", "ridge", "rule")
RIDGE_ALPHA = 1.0
PAIRS = (("lgbm", "ridge"), ("lgbm", "rule"), ("ridge", "rule"))


@dataclass
class TrainedRegression:
    frame: Frame
    folds: list[dict[str, Any]]
    oos: dict[str, dict[str, Any]]
    comparisons: dict[str, dict[str, Any]]
    evidence: dict[str, dict[str, Any]]
    equity: dict[str, tuple[list[int], list[float]]]
    importance: dict[str, float]
    params: dict[str, Any] = field(default_factory=dict)


def fit_regressor(kind: str, fr: Frame, seed: int) -> Fitted:
    """A scorer of the net return ``fr.net`` (``predict`` gives bps, or the rule's
    confidence for ``rule``)."""
    if kind == "lgbm":
        import lightgbm as lgb

        params = (LGBM_PARAMS | {"random_state": seed, "objective": "regression"}).copy()
        model = lgb.LGBMRegressor(**params)
        model.fit(fr.x, fr.net, feature_name=[_safe(n) for n in fr.names])
        booster = model.booster_
        gain = booster.feature_importance(importance_type="gain")
        total = float(gain.sum()) or 1.0
        imp = {n: float(g) / total for n, g in zip(fr.names, gain, strict=True)}
        return Fitted(
            "lgbm",
            lambda f: np.asarray(booster.predict(f.x), dtype=np.float64),
            imp,
            {"model": booster.model_to_string()},
            params,
        )
    if kind == "ridge":
        return _ridge(fr)
    if kind == "rule":
        return Fitted("rule", lambda f: np.asarray(f.rule, dtype=np.float64), {}, {}, {})
    raise ValueError(f"unknown regressor {kind!r}")


def _ridge(fr: Frame) -> Fitted:
    from sklearn.linear_model import Ridge

    with warnings.catch_warnings():  # a column that is all NaN has median NaN → 0
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(fr.x, axis=0) if len(fr.x) else np.zeros(fr.x.shape[1])
    med = np.where(np.isnan(med), 0.0, med)
    xi = np.where(np.isnan(fr.x), med, fr.x)
    mean, scale = xi.mean(axis=0), xi.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    model = Ridge(alpha=RIDGE_ALPHA).fit((xi - mean) / scale, fr.net)
    coef = np.asarray(model.coef_, dtype=np.float64)
    bias = float(model.intercept_)

    def predict(f: Frame) -> F:
        z = np.where(np.isnan(f.x), med, f.x)
        return np.asarray(((z - mean) / scale) @ coef + bias, dtype=np.float64)

    total = float(np.abs(coef).sum()) or 1.0
    imp = {n: float(abs(c)) / total for n, c in zip(fr.names, coef, strict=True)}
    payload = {"median": med, "mean": mean, "scale": scale, "coef": coef, "bias": bias}
    return Fitted("ridge", predict, imp, payload, {"alpha": RIDGE_ALPHA})


def _standard(v: F) -> F:
    sd = float(v.std())
    return (v - v.mean()) / sd if sd > 0 else np.zeros_like(v)


def ic_terms(pred: F, net: F, *, rank: bool) -> F:
    """Per-signal products whose mean is Spearman's (``rank``) or Pearson's correlation."""
    if rank:
        from scipy.stats import rankdata

        pred, net = rankdata(pred), rankdata(net)
    return np.asarray(_standard(pred) * _standard(net), dtype=np.float64)


def _metrics(
    kind: str, pred: F, fr: Frame, blocks: B, cfg: TrainConfig, sel: npt.NDArray[np.bool_]
) -> dict[str, Any]:
    """IC, RMSE and the picked ``sel``'s hit rate and net, each with its CI."""

    def est(v: F, b: B) -> dict[str, object]:
        return bootstrap_mean(v, b, reps=cfg.reps, seed=cfg.seed).as_dict()

    rmse = None if kind == "rule" else float(np.sqrt(np.mean((pred - fr.net) ** 2)))
    doc = {
        "n": len(fr),
        "ic_spearman": est(ic_terms(pred, fr.net, rank=True), blocks),
        "ic_pearson": est(ic_terms(pred, fr.net, rank=False), blocks),
        "rmse_bps": rmse,
        "top_decile": {
            "n": int(sel.sum()),
            "hit_rate": est(fr.y[sel], blocks[sel]),
            "net_bps": est(fr.net[sel], blocks[sel]),
        },
    }
    return doc


def _run_fold(
    fr: Frame, fold: Fold, blocks: B, cfg: TrainConfig
) -> tuple[dict[str, Any], dict[str, F]]:
    fit_idx = np.concatenate([fold.fit, fold.calib])
    fit_f, test_f = fr.take(fit_idx), fr.take(fold.test)
    for name, part in (("fit", fit_f), ("test", test_f)):
        if len(part) < cfg.min_fold_rows:
            raise TooFewRows(
                f"fold {fold.index}: its {name} window has {len(part)} rows after purging; "
                "fewer folds or more data"
            )
    preds: dict[str, F] = {}
    metrics: dict[str, Any] = {}
    for k in REGRESSORS:
        preds[k] = fit_regressor(k, fit_f, cfg.seed).predict(test_f)
        sel = top_decile(preds[k])
        metrics[k] = _metrics(k, preds[k], test_f, blocks[fold.test], cfg, sel)
    doc = {
        "index": fold.index,
        "bounds_ms": list(fold.bounds_ms),
        "rows": {"fit": len(fit_f), "calibration": 0, "test": len(test_f)},
        "purged": fold.purged,
        "metrics": metrics,
    }
    return doc, preds


def train_regression(fr: Frame, cfg: TrainConfig) -> TrainedRegression:
    """Walk-forward judgement of the three regressors; the kept learner fitted on all."""
    if len(fr) < cfg.min_rows:
        raise TooFewRows(
            f"{len(fr):,} DEX signals with a net return at {fr.horizon}; training needs at "
            f"least {cfg.min_rows:,}"
        )
    h_ms = HORIZONS[fr.horizon] * 1000
    emb = h_ms if cfg.embargo_ms is None else cfg.embargo_ms
    blocks = block_ids(fr.assets, [int(t) for t in fr.ts], cfg.cluster_ms)
    docs: list[dict[str, Any]] = []
    pooled: dict[str, list[F]] = {k: [] for k in REGRESSORS}
    test_idx: list[npt.NDArray[np.int64]] = []
    for fold in walk_forward(fr.ts, cfg.folds, h_ms, emb):
        doc, preds = _run_fold(fr, fold, blocks, cfg)
        docs.append(doc)
        test_idx.append(fold.test)
        for k in REGRESSORS:
            pooled[k].append(preds[k])
    idx = np.concatenate(test_idx)
    oos_fr, b = fr.take(idx), blocks[idx]
    # pooled out of sample, fold by fold: each fold's own top decile and IC terms (its
    # predictions are on its own scale)
    sel = {k: np.concatenate([top_decile(p) for p in pooled[k]]) for k in REGRESSORS}
    oos = {k: _metrics(k, np.concatenate(pooled[k]), oos_fr, b, cfg, sel[k]) for k in REGRESSORS}
    terms = {k: _fold_terms(pooled[k], oos_fr.net) for k in REGRESSORS}
    for k in REGRESSORS:
        for j, name in enumerate(("ic_spearman", "ic_pearson")):
            oos[k][name] = bootstrap_mean(terms[k][j], b, reps=cfg.reps, seed=cfg.seed).as_dict()
        oos[k]["deciles"] = _deciles(pooled[k], oos_fr.net)
    comps = {
        f"{a}_vs_{c}": {
            "net_bps_per_offered": compare(
                sel[a], sel[c], oos_fr.net, b, cfg.reps, cfg.seed
            ).as_dict(),
            "ic_gain": bootstrap_mean(
                terms[a][0] - terms[c][0], b, reps=cfg.reps, seed=cfg.seed
            ).as_dict(),
        }
        for a, c in PAIRS
    }
    equity = {
        k: ([int(t) for t in oos_fr.ts[sel[k]]], np.cumsum(oos_fr.net[sel[k]]).tolist())
        for k in REGRESSORS
    }
    kept = fit_regressor(cfg.learner, fr, cfg.seed)
    evidence = {k: _evidence(oos[k], cfg.alpha) for k in REGRESSORS}
    return TrainedRegression(fr, docs, oos, comps, evidence, equity, kept.importance, kept.params)


def _fold_terms(preds: list[F], net: F) -> tuple[F, F]:
    """Spearman's and Pearson's IC terms, each fold's on its own, concatenated."""
    out: tuple[list[F], list[F]] = ([], [])
    at = 0
    for p in preds:
        y = net[at : at + len(p)]
        at += len(p)
        out[0].append(ic_terms(p, y, rank=True))
        out[1].append(ic_terms(p, y, rank=False))
    return np.concatenate(out[0]), np.concatenate(out[1])


def _deciles(preds: list[F], net: F) -> list[tuple[int, float, int]]:
    """(decile of the prediction within its fold, 1 = lowest, mean net bps, n)."""
    dec = np.concatenate(
        [np.minimum(9, (np.argsort(np.argsort(p)) * 10) // max(1, len(p))) for p in preds]
    )
    return [
        (d + 1, float(np.mean(net[dec == d])), int(np.sum(dec == d)))
        for d in range(10)
        if np.any(dec == d)
    ]


def _evidence(m: dict[str, Any], alpha: float) -> dict[str, Any]:
    net = m["top_decile"]["net_bps"]
    ci = net["ci"]
    return {
        "metric": "out-of-sample top-decile mean net return after costs, bps",
        "value": net["value"],
        "ci": ci,
        "p": net["p"],
        "passes": bool(ci is not None and ci[0] > 0 and net["p"] < alpha),
    }
