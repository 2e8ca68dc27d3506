"""The three scorers a card compares, fitted and scored the same way.

* ``lgbm``: gradient-boosted trees (LightGBM), NaN handled by the trees themselves;
* ``logistic``: L2-regularised logistic regression (scikit-learn) on median-imputed,
  standardised inputs — the baseline a model must beat;
* ``rule``: today's hand-set confidence, as the core stored it (nothing is fitted).

Each gives a raw probability; ``calibrate`` then maps raw → calibrated on a fold the
scorer never saw (isotonic or Platt). What is kept of a fitted scorer is plain data
(``payload``: a model string, arrays), which is what the registry stores and the
serving scorers rebuild from — never a pickled object.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from dexcex.models.data import Frame

__all__ = ["LEARNERS", "LGBM_PARAMS", "Calibrator", "Fitted", "calibrate", "fit", "logistic_prob"]

F = npt.NDArray[np.float64]
EPS = 1e-6
LGBM_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "n_estimators": 150,
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_child_samples": 20,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "reg_lambda": 1.0,
    "n_jobs": 1,
    "verbose": -1,
}
LOGISTIC_C = 1.0
LEARNERS = ("lgbm", "logistic", "rule")


@dataclass
class Fitted:
    kind: str
    predict: Callable[[Frame], F]  # raw probability of the label
    importance: dict[str, float]
    payload: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Calibrator:
    kind: str  # isotonic | platt | none
    x: F  # isotonic: thresholds of the raw score; platt: [a, b] of σ(a·logit(raw) + b)
    y: F

    def apply(self, raw: F) -> F:
        if self.kind == "isotonic":
            p = np.interp(raw, self.x, self.y)
        elif self.kind == "platt":
            z = np.log(np.clip(raw, EPS, 1 - EPS) / np.clip(1 - raw, EPS, 1))
            p = 1.0 / (1.0 + np.exp(-(self.x[0] * z + self.x[1])))
        else:
            p = raw
        return np.asarray(np.clip(p, EPS, 1 - EPS), dtype=np.float64)

    def as_payload(self) -> dict[str, Any]:
        return {"kind": self.kind, "x": self.x, "y": self.y}


def fit(kind: str, fr: Frame, seed: int) -> Fitted:
    if kind == "lgbm":
        return _lgbm(fr, seed)
    if kind == "logistic":
        return _logistic(fr)
    if kind == "rule":
        return Fitted("rule", lambda f: np.clip(f.rule, EPS, 1 - EPS), {}, {}, {})
    raise ValueError(f"unknown learner {kind!r}")


def _lgbm(fr: Frame, seed: int) -> Fitted:
    import lightgbm as lgb

    params = LGBM_PARAMS | {"random_state": seed}
    model = lgb.LGBMClassifier(**params)
    model.fit(fr.x, fr.y, feature_name=[_safe(n) for n in fr.names])
    booster = model.booster_
    gain = booster.feature_importance(importance_type="gain")
    total = float(gain.sum()) or 1.0
    imp = {n: float(g) / total for n, g in zip(fr.names, gain, strict=True)}

    def predict(f: Frame) -> F:
        return np.asarray(booster.predict(f.x), dtype=np.float64)

    return Fitted("lgbm", predict, imp, {"model": booster.model_to_string()}, params)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name)


def _logistic(fr: Frame) -> Fitted:
    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():  # a column that is all NaN has median NaN → 0
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(fr.x, axis=0) if len(fr.x) else np.zeros(fr.x.shape[1])
    med = np.where(np.isnan(med), 0.0, med)
    xi = np.where(np.isnan(fr.x), med, fr.x)
    mean = xi.mean(axis=0)
    scale = xi.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    model = LogisticRegression(C=LOGISTIC_C, max_iter=2000)
    model.fit((xi - mean) / scale, fr.y)
    coef = np.asarray(model.coef_[0], dtype=np.float64)
    bias = float(model.intercept_[0])
    payload = {"median": med, "mean": mean, "scale": scale, "coef": coef, "bias": bias}
    total = float(np.abs(coef).sum()) or 1.0
    imp = {n: float(abs(c)) / total for n, c in zip(fr.names, coef, strict=True)}

    def predict(f: Frame) -> F:
        return logistic_prob(payload, f.x)

    return Fitted("logistic", predict, imp, payload, {"C": LOGISTIC_C, "penalty": "l2"})


def logistic_prob(p: dict[str, Any], x: F) -> F:
    xi = np.where(np.isnan(x), p["median"], x)
    z = ((xi - p["mean"]) / p["scale"]) @ p["coef"] + p["bias"]
    return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)


def calibrate(raw: F, y: F, method: str) -> Calibrator:
    """A map raw → probability fitted on (``raw``, ``y``) of an unseen fold."""
    if method == "isotonic":
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
        iso.fit(raw, y)
        return Calibrator(
            "isotonic",
            np.asarray(iso.X_thresholds_, dtype=np.float64),
            np.asarray(iso.y_thresholds_, dtype=np.float64),
        )
    if method == "platt":
        from sklearn.linear_model import LogisticRegression

        z = np.log(np.clip(raw, EPS, 1 - EPS) / np.clip(1 - raw, EPS, 1)).reshape(-1, 1)
        m = LogisticRegression(C=1e6, max_iter=1000).fit(z, y)
        return Calibrator(
            "platt", np.array([float(m.coef_[0][0]), float(m.intercept_[0])]), np.zeros(0)
        )
    if method == "none":
        return Calibrator("none", np.zeros(0), np.zeros(0))
    raise ValueError(f"unknown calibration {method!r}: isotonic, platt or none")
