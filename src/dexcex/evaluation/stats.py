"""Estimates that carry their uncertainty: block bootstrap, adjusted p-values, SPA.

Signals of one asset that fire close together share most of their outcome window, so
they are not independent draws. The bootstrap here resamples *blocks* — all of one
asset's signals within one clock hour (``cluster_ms``) — with replacement, through
``arch``'s bootstrap, and recomputes the statistic as a ratio of block sums (so a block
of five signals weighs five times a block of one). One-sided p-values come from the
bootstrap distribution re-centred on the null value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Estimate", "adjust", "block_ids", "bootstrap_mean", "hits", "spa_pvalue"]

F = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Estimate:
    """A statistic with its 95 % CI and the one-sided p-value of "greater than null"."""

    value: float | None
    ci: tuple[float, float] | None
    p: float
    n: int
    blocks: int

    def as_dict(self) -> dict[str, object]:
        return {
            "value": self.value,
            "ci": list(self.ci) if self.ci else None,
            "p": self.p,
            "n": self.n,
            "blocks": self.blocks,
        }


def block_ids(assets: Sequence[str], ts: Sequence[int], cluster_ms: int) -> npt.NDArray[np.int64]:
    """One id per (asset, clock block of ``cluster_ms``)."""
    keys: dict[tuple[str, int], int] = {}
    out = np.empty(len(ts), dtype=np.int64)
    for i, (a, t) in enumerate(zip(assets, ts, strict=True)):
        out[i] = keys.setdefault((a, int(t) // cluster_ms), len(keys))
    return out


def hits(ret_bps: F) -> F:
    """Direction hits of gross returns: 1 right, 0 wrong, ½ for no move at all (a flat
    candle is neither, and counting it either way would bias the rate)."""
    return np.where(ret_bps > 0, 1.0, np.where(ret_bps < 0, 0.0, 0.5))


def bootstrap_mean(
    values: F,
    blocks: npt.NDArray[np.int64],
    *,
    null: float = 0.0,
    reps: int = 2000,
    seed: int = 0,
    level: float = 0.95,
    min_blocks: int = 8,
) -> Estimate:
    """Mean of ``values`` with a block-bootstrap CI and p(mean > ``null``). NaNs are
    dropped first; fewer than two blocks give no CI, fewer than ``min_blocks`` a CI but
    p = 1 (too few independent blocks to test)."""
    keep = ~np.isnan(values)
    v, b = values[keep], blocks[keep]
    n = len(v)
    if n == 0:
        return Estimate(None, None, 1.0, 0, 0)
    _, inv = np.unique(b, return_inverse=True)
    sums = np.bincount(inv, weights=v)
    counts = np.bincount(inv).astype(float)
    est = float(v.mean())
    if len(sums) < 2:
        return Estimate(est, None, 1.0, n, len(sums))
    from arch.bootstrap import IIDBootstrap  # heavy (pandas, scipy): only when judging

    bs = IIDBootstrap(sums, counts, seed=np.random.default_rng(seed))
    stats = bs.apply(_ratio, reps)[:, 0]
    lo, hi = np.quantile(stats, [(1 - level) / 2, 1 - (1 - level) / 2])
    # re-centred on the null: how often would a world whose mean is `null` look this good
    p = (1 + np.sum(stats - est >= est - null)) / (reps + 1) if len(sums) >= min_blocks else 1.0
    return Estimate(est, (float(lo), float(hi)), float(p), n, len(sums))


def _ratio(sums: F, counts: F) -> float:
    return float(sums.sum() / counts.sum())


def adjust(pvalues: Sequence[float], method: str = "holm") -> list[float]:
    """Holm (family-wise) or Benjamini–Hochberg (``fdr_bh``, false discovery rate)
    adjusted p-values, in the order given."""
    if not pvalues:
        return []
    from statsmodels.stats.multitest import multipletests

    _, adj, _, _ = multipletests(np.asarray(pvalues, dtype=float), method=method)
    return [float(x) for x in adj]


def spa_pvalue(per_period_net: F, *, reps: int = 1000, seed: int = 0) -> float | None:
    """Hansen's SPA p-value (consistent) that the best of several configurations beats
    not trading. ``per_period_net`` is (periods × configurations): each configuration's
    net return summed per period (0 when it had no signal). None with < 10 periods."""
    if per_period_net.ndim != 2 or per_period_net.shape[0] < 10:
        return None
    from arch.bootstrap import SPA

    losses = -per_period_net
    bench = np.zeros(per_period_net.shape[0])
    spa = SPA(bench, losses, reps=reps, seed=np.random.default_rng(seed))
    spa.compute()
    return float(spa.pvalues["consistent"])
