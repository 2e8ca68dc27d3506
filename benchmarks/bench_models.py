"""Model inference budget: one served score per signal — the feature vector built from
the signal's feature map, the model, the calibration — p99 < 100 µs (``ModelScorer``).

The model is LightGBM with the training defaults (150 trees, 15 leaves) on 45 inputs,
the size of the ``dex`` feature set, fitted on synthetic rows; scored through the C
API's single-row fast path (what serving uses) and, for comparison, through
``Booster.predict`` on a one-row array, and the logistic baseline in plain Python.
Treelite is not measured: compiling a model needs a C toolchain at run time, which the
fast path makes unnecessary.
"""

from __future__ import annotations

import math
import time

import numpy as np

from benchmarks.targets import check
from dexcex.models.data import Frame
from dexcex.models.learners import calibrate, fit
from dexcex.models.serving import ModelScorer, scorer_of

TARGET_P99_US = 100.0
FEATURES = 45
ROWS = 4_000
CALLS = 20_000


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
        us = _timed(sc, feats)
        p50, p99 = _pct(us, 50), _pct(us, 99)
        word = check(f"{kind} inference p99 < {TARGET_P99_US:g} µs", p99 < TARGET_P99_US)
        print(f"{kind:>8} served score: p50 {p50:.1f} µs, p99 {p99:.1f} µs per signal ({word})")
        if kind == "lgbm":
            import lightgbm as lgb

            booster = lgb.Booster(model_str=m.payload["model"])
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
