"""Model inference budget: one served score per signal — the feature vector built from
the signal's feature map, the model, the calibration — p99 < 100 µs (``ModelScorer``).

The model is LightGBM with the training defaults (150 trees, 15 leaves) on 45 inputs,
the size of the ``dex`` feature set, fitted on synthetic rows. Two single-row paths for
the same trees, each inside the same ``ModelScorer`` (vector, raw score, calibration):

* LightGBM's C API fast path (``LGBM_BoosterPredictForMatSingleRowFast``) — what serving
  uses (``models.serving``);
* Treelite: the trees compiled to C by ``tl2cgen`` (gcc, one translation unit) into a
  shared library, its generated ``predict(Entry*, pred_margin, double*)`` called through
  ctypes on one row (a missing value is the Entry whose ``missing`` field is −1).

Also the logistic baseline in plain Python, and ``Booster.predict`` on a one-row array for
comparison. Serving keeps LightGBM's path: both meet the budget, and Treelite's library is
native code compiled from the model, which the registry's plain-data, hash-checked model
files (``models.registry``) could not vet — nor would a machine without a C compiler load
a model at all.
"""

from __future__ import annotations

import ctypes
import math
import struct
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks.targets import check
from dexcex.models.data import Frame
from dexcex.models.learners import calibrate, fit
from dexcex.models.serving import ModelScorer, scorer_of

TARGET_P99_US = 100.0
FEATURES = 45
ROWS = 4_000
CALLS = 20_000
# A double whose low 32 bits read as the int -1: Treelite's "missing" Entry.
_MISSING = struct.unpack("<d", struct.pack("<q", -1))[0]


def _frame(rng: np.random.Generator) -> Frame:
    names = [f"f{i:02d}" for i in range(FEATURES - 1)] + ["direction"]
    x = rng.normal(size=(ROWS, FEATURES))
    x[rng.random(x.shape) < 0.05] = np.nan
    z = np.nan_to_num(x[:, 0]) + 0.5 * np.nan_to_num(x[:, 1])
    y = (rng.random(ROWS) < 1 / (1 + np.exp(-z))).astype(float)
    n = np.zeros(ROWS)
    ts = np.arange(ROWS, dtype=np.int64) * 30_000
    return Frame(
        [f"s{i}" for i in range(ROWS)], ts, ["a"] * ROWS, names, x, y, n, n, n, "5m", "", {}
    )


def _timed(score: ModelScorer, feats: list[dict[str, float]]) -> list[float]:
    out = []
    clock = time.perf_counter_ns
    for i in range(CALLS):
        f = feats[i % len(feats)]
        t0 = clock()
        score.score(f, 1.0)
        out.append((clock() - t0) / 1000)
    return out


def _pct(xs: list[float], q: float) -> float:
    return float(np.percentile(xs, q))


def _report(label: str, us: list[float]) -> None:
    p50, p99 = _pct(us, 50), _pct(us, 99)
    word = check(f"{label} inference p99 < {TARGET_P99_US:g} µs", p99 < TARGET_P99_US)
    print(f"{label:>9} served score: p50 {p50:.1f} µs, p99 {p99:.1f} µs per signal ({word})")


def treelite_single_row(model: str, ncol: int, folder: Path) -> Callable[[list[float]], float]:
    """The probability of one row from the trees compiled by Treelite (tl2cgen + gcc)."""
    import lightgbm as lgb
    import tl2cgen
    import treelite

    tm = treelite.frontend.from_lightgbm(lgb.Booster(model_str=model))
    lib_path = folder / "model.so"
    tl2cgen.export_lib(tm, toolchain="gcc", libpath=str(lib_path), params={}, nthread=1)
    lib = ctypes.CDLL(str(lib_path))
    call = lib.predict
    call.restype = None
    buf = (ctypes.c_double * ncol)()
    out = (ctypes.c_double * 1)()
    missing = _MISSING

    def raw(v: list[float]) -> float:
        buf[:] = [missing if math.isnan(x) else x for x in v]  # type: ignore[assignment]
        out[0] = 0.0  # the trees add into it
        call(buf, 0, out)  # pred_margin 0: the sigmoid applied, a probability
        return out[0]

    raw.lib = lib  # type: ignore[attr-defined]  # keeps the library loaded
    return raw


def _treelite(
    model: str, calibration: dict[str, object], base: ModelScorer, feats: list[dict[str, float]]
) -> None:
    try:
        import tl2cgen
        import treelite
    except ImportError as exc:
        print(f" treelite not measured: {type(exc).__name__}: {exc}")
        return
    with tempfile.TemporaryDirectory(prefix="dexcex-treelite-") as tmp:
        t0 = time.perf_counter()
        try:
            raw = treelite_single_row(model, len(base.names), Path(tmp))
        except Exception as exc:  # the exact reason it could not be compiled here
            print(f" treelite not measured: {type(exc).__name__}: {exc}")
            return
        took = time.perf_counter() - t0
        sc = ModelScorer("tl", "active", base.names, raw, calibration, base.cut)
        diff = max(
            abs(sc.score_raw(f, 1.0) - base.score_raw(f, 1.0)) for f in feats
        )  # the same trees: the same probabilities, up to summation order
        _timed(sc, feats[:50])
        us = _timed(sc, feats)
    print(
        f"  (treelite {treelite.__version__} + tl2cgen {tl2cgen.__version__}: compiled in "
        f"{took:.1f} s; largest difference from LightGBM over {len(feats)} rows {diff:.1e})"
    )
    _report("treelite", us)


def _booster_predict(model: str, fr: Frame) -> None:
    import lightgbm as lgb

    booster = lgb.Booster(model_str=model)
    row = fr.x[:1]
    t = []
    for _ in range(1_000):
        t0 = time.perf_counter_ns()
        booster.predict(row, num_threads=1)
        t.append((time.perf_counter_ns() - t0) / 1000)
    print(
        f"    (Booster.predict on a one-row array: p50 {_pct(t, 50):.0f} µs, "
        f"p99 {_pct(t, 99):.0f} µs — not what serving uses)"
    )


def run() -> None:
    rng = np.random.default_rng(42)
    fr = _frame(rng)
    feats = [
        {n: float(v) for n, v in zip(fr.names, row, strict=True) if not math.isnan(v)}
        for row in fr.x[:500]
    ]
    for kind in ("lgbm", "logistic"):
        m = fit(kind, fr, 0)
        cal = calibrate(m.predict(fr), fr.y, "isotonic")
        payload = {
            "kind": kind,
            "id": kind,
            "names": fr.names,
            "calibration": cal.as_payload(),
            "cut": 0.5,
            "model": m.payload.get("model"),
            "params": m.payload,
        }
        sc = scorer_of(payload, "active")
        _timed(sc, feats[:50])  # warm
        _report(kind, _timed(sc, feats))
        if kind == "lgbm":
            _booster_predict(m.payload["model"], fr)
            _treelite(m.payload["model"], cal.as_payload(), sc, feats)
    print("  served: LightGBM's fast path (no compiler at run time; the model file stays data)")
