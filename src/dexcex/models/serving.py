"""Scorers built from a registry payload, for the core: vector (``features.vector``, the
code training used) → raw probability → calibrated probability.

LightGBM scores through its C API's single-row fast path
(``LGBM_BoosterPredictForMatSingleRowFast``: the configuration is prepared once, each
call copies one row into a fixed buffer); the Python ``Booster.predict`` on a one-row
array checks and converts its argument on every call (``make bench``: p99 about eight
times the fast path's). The logistic
model is a dot product in plain Python. Calibration is a binary search over the
isotonic points (or Platt's two numbers). A scorer is pure: after construction it does
no I/O and reads no clock; it is not thread-safe (the core is one thread).
"""

from __future__ import annotations

import bisect
import ctypes
import math
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from dexcex.models.features import vector

__all__ = ["ModelScorer", "scorer_of"]

_EPS = 1e-6


class ModelScorer:
    def __init__(
        self,
        model_id: str,
        role: str,
        names: list[str],
        raw: Callable[[list[float]], float],
        calibration: dict[str, Any],
        cut: float,
    ) -> None:
        self.model_id = model_id
        self.role = role
        self.names = names
        self.raw = raw
        self.cut = cut  # the raw score of the top decile on the calibration window
        self._kind = str(calibration["kind"])
        self._x = [float(v) for v in calibration["x"]]
        self._y = [float(v) for v in calibration["y"]]
        self.last_vector: list[float] = []  # what was scored last (the parity test's)

    def vector(self, features: Mapping[str, float], direction: float) -> list[float]:
        return vector(features, direction, self.names)

    def score_raw(self, features: Mapping[str, float], direction: float) -> float:
        v = vector(features, direction, self.names)
        self.last_vector = v
        return self.raw(v)

    def score(self, features: Mapping[str, float], direction: float) -> float:
        return self.calibrate(self.score_raw(features, direction))

    def calibrate(self, r: float) -> float:
        """Raw → probability, the same map as ``learners.Calibrator.apply``."""
        if self._kind == "isotonic":
            p = _interp(r, self._x, self._y)
        elif self._kind == "platt":
            rc = min(max(r, _EPS), 1 - _EPS)
            z = math.log(rc / max(1 - r, _EPS))
            p = 1.0 / (1.0 + math.exp(-(self._x[0] * z + self._x[1])))
        else:
            p = r
        return min(max(p, _EPS), 1 - _EPS)


def _interp(r: float, xs: list[float], ys: list[float]) -> float:
    """``numpy.interp`` for one point (clipped at both ends)."""
    if not xs:
        return r
    if r <= xs[0]:
        return ys[0]
    if r >= xs[-1]:
        return ys[-1]
    i = bisect.bisect_right(xs, r)
    x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
    return y0 if x1 == x0 else y0 + (r - x0) * (y1 - y0) / (x1 - x0)


def scorer_of(payload: dict[str, Any], role: str) -> ModelScorer:
    """The scorer of a registry payload (``registry.load_payload``)."""
    names = [str(n) for n in payload["names"]]
    if payload["kind"] == "lgbm":
        raw = lgbm_single_row(str(payload["model"]), len(names))
    elif payload["kind"] == "logistic":
        raw = _logistic(payload["params"])
    else:
        raise ValueError(f"unknown model kind {payload['kind']!r}")
    return ModelScorer(
        str(payload["id"]), role, names, raw, payload["calibration"], float(payload["cut"])
    )


def _logistic(p: dict[str, Any]) -> Callable[[list[float]], float]:
    med = [float(v) for v in p["median"]]
    mean = [float(v) for v in p["mean"]]
    scale = [float(v) for v in p["scale"]]
    coef = [float(v) for v in p["coef"]]
    bias = float(p["bias"])
    terms = list(zip(med, mean, scale, coef, strict=True))

    def raw(v: list[float]) -> float:
        z = bias
        for x, (md, mu, sd, c) in zip(v, terms, strict=True):
            z += c * (((md if math.isnan(x) else x) - mu) / sd)  # NaN: imputed
        return 1.0 / (1.0 + math.exp(-z))

    return raw


def lgbm_single_row(model: str, ncol: int) -> Callable[[list[float]], float]:
    """LightGBM's probability for one row through the C API's fast single-row path."""
    import lightgbm as lgb
    from lightgbm.basic import _LIB, _safe_call  # type: ignore[attr-defined]

    booster = lgb.Booster(model_str=model)
    fast = ctypes.c_void_p()
    _safe_call(
        _LIB.LGBM_BoosterPredictForMatSingleRowFastInit(
            booster._handle,
            ctypes.c_int(0),  # C_API_PREDICT_NORMAL: the probability
            ctypes.c_int(0),
            ctypes.c_int(-1),  # every iteration
            ctypes.c_int(1),  # C_API_DTYPE_FLOAT64
            ctypes.c_int32(ncol),
            ctypes.c_char_p(b"num_threads=1"),
            ctypes.byref(fast),
        )
    )
    buf = (ctypes.c_double * ncol)()
    out = ctypes.c_double()
    out_len = ctypes.c_int64()
    call = _LIB.LGBM_BoosterPredictForMatSingleRowFast
    refs = (ctypes.byref(out_len), ctypes.byref(out))

    def raw(v: list[float]) -> float:
        buf[:] = v  # type: ignore[assignment]
        if call(fast, buf, *refs) != 0:
            _safe_call(-1)
        return out.value

    raw.booster = booster  # type: ignore[attr-defined]  # keeps the handle alive
    weakref.finalize(raw, _LIB.LGBM_FastConfigFree, fast)
    return raw
