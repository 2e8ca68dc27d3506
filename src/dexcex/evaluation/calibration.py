"""Does the confidence mean what it says? Reliability, Brier score, log loss, and the
expected move against the realised one.

A signal's confidence is read as its probability of being right about the direction at
the primary horizon. Signals are put in confidence bins; each bin's realised direction
hit rate (gross, ties ½) is plotted against its mean confidence — a calibrated score
lies on the diagonal. Brier = mean (c − y)², log loss = −mean (y ln c + (1 − y) ln(1 − c)),
both against y = the hit; a constant ½ scores 0.25 and ln 2 ≈ 0.693.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from dexcex.evaluation.groups import Labeled
from dexcex.evaluation.stats import hits

__all__ = ["calibration", "write_reliability"]

_BINS = np.linspace(0.0, 1.0, 11)
_EPS = 1e-6


def calibration(g: Labeled, horizon: str) -> dict[str, Any]:
    """Bins, Brier, log loss and expected-vs-realised move of ``g`` at ``horizon``."""
    ret = g.ret[horizon]
    ok = ~np.isnan(ret)
    c = np.clip(g.confidence[ok], _EPS, 1 - _EPS)
    y = hits(ret[ok])
    out: dict[str, Any] = {"group": g.name, "horizon": horizon, "n": int(ok.sum())}
    if not ok.any():
        return out | {"bins": [], "brier": None, "log_loss": None, "moves": None}
    which = np.clip(np.digitize(c, _BINS) - 1, 0, len(_BINS) - 2)
    bins = []
    for b in range(len(_BINS) - 1):
        m = which == b
        if m.any():
            bins.append(
                {
                    "lo": float(_BINS[b]),
                    "hi": float(_BINS[b + 1]),
                    "n": int(m.sum()),
                    "confidence": float(c[m].mean()),
                    "hit_rate": float(y[m].mean()),
                }
            )
    exp = g.expected_bps[ok]
    real = ret[ok]
    corr = (
        float(np.corrcoef(exp, real)[0, 1])
        if len(real) > 2 and exp.std() > 0 and real.std() > 0
        else None
    )
    return out | {
        "bins": bins,
        "brier": float(np.mean((c - y) ** 2)),
        "log_loss": float(-np.mean(y * np.log(c) + (1 - y) * np.log(1 - c))),
        "moves": {
            "mean_expected_bps": float(exp.mean()),
            "mean_realised_bps": float(real.mean()),
            "correlation": None if corr is None or math.isnan(corr) else corr,
            "expected": exp.tolist()[:2000],
            "realised": real.tolist()[:2000],
        },
    }


def write_reliability(cal: dict[str, Any], path: Path) -> None:
    """Two panels: the reliability diagram, and expected against realised move."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 5), dpi=110)
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=0.8, label="calibrated")
    bins = cal.get("bins") or []
    if bins:
        xs = [b["confidence"] for b in bins]
        ys = [b["hit_rate"] for b in bins]
        ax.plot(xs, ys, marker="o", label="realised")
        for b in bins:
            ax.annotate(
                str(b["n"]),
                (b["confidence"], b["hit_rate"]),
                fontsize=7,
                xytext=(3, 3),
                textcoords="offset points",
            )
    brier, ll = cal.get("brier"), cal.get("log_loss")
    scores = f"Brier {brier:.3f}, log loss {ll:.3f}" if brier is not None else "no measured signals"
    ax.set(
        xlim=(0, 1),
        ylim=(0, 1),
        xlabel="confidence",
        ylabel="direction hit rate",
        title=f"Reliability, {cal['group']} at {cal['horizon']} (n={cal['n']})\n{scores}",
    )
    ax.legend(fontsize=8, loc="upper left")
    moves = cal.get("moves")
    if moves:
        bx.scatter(moves["expected"], moves["realised"], s=8, alpha=0.5)
        bx.axhline(0, color="black", linewidth=0.6)
        r = moves["correlation"]
        bx.set_title(
            f"expected vs realised move (r = {r:.2f})"
            if r is not None
            else "expected vs realised move"
        )
    bx.set(xlabel="expected move, bps", ylabel="realised gross move in signal direction, bps")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
