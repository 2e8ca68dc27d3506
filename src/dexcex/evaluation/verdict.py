"""The primary metric and its verdict: one line, printed first.

The plan names one group and one horizon before any data is seen (by default: the
risk-approved signals at 5 m). "Edge detected" needs *both*:

1. mean net return > 0 by the block bootstrap (asset × hour blocks), p < alpha; and
2. mean net return above the permutation null (same assets, directions, filters and
   costs at random times), p < alpha.

Rejecting both nulls each at ``alpha`` is an intersection–union test: its level is
``alpha`` for "no edge", with no correction needed. The direction hit rate (gross, ties
½) is reported beside it with its own CI and p-values, but does not decide. With fewer
measurable signals than ``min_signals``, the verdict is "no edge detected (too few …)".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dexcex.evaluation.data import EvalData
from dexcex.evaluation.groups import Labeled
from dexcex.evaluation.null import NullResult, momentum_net, permutation_null
from dexcex.evaluation.plan import EvaluationPlan
from dexcex.evaluation.stats import Estimate, bootstrap_mean, hits
from dexcex.labeling.outcomes import HORIZONS

__all__ = ["Verdict", "judge", "reason", "spans_of"]


@dataclass(frozen=True, slots=True)
class Verdict:
    edge: bool
    group: str
    horizon: str
    n: int
    mean_net: Estimate
    mean_gross: Estimate
    hit_rate: Estimate
    null: NullResult | None
    vs_null: Estimate | None  # paired: signal net − its random-timing twins' mean
    vs_momentum: Estimate | None  # paired: signal net − momentum's net at the same time
    alpha: float
    reason: str
    excluded_assets: list[str] = field(default_factory=list)
    assumed_costs: bool = False
    min_blocks: int = 0  # fewer blocks than this: the bootstrap gives no p-value

    def line(self) -> str:
        """The verdict in one sentence."""
        head = "EDGE DETECTED" if self.edge else "NO EDGE DETECTED"
        m = self.mean_net
        if m.value is None:
            return f"{head}: {self.group} at {self.horizon}: {self.reason}"
        ci = f"[{m.ci[0]:+.1f}, {m.ci[1]:+.1f}]" if m.ci else "[n/a]"
        perm = f", permutation p = {self.null.p_mean:.3f}" if self.null else ""
        costs = " (costs assumed)" if self.assumed_costs else ""
        p = f"{m.p:.3f}" if m.blocks >= self.min_blocks else "n/a"
        return (
            f"{head}: {self.group} at {self.horizon}, n = {self.n}: mean net "
            f"{m.value:+.1f} bps{costs}, 95 % CI {ci}, p = {p}{perm}; direction hit "
            f"{(self.hit_rate.value or 0):.0%} — {self.reason}"
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "edge": self.edge,
            "line": self.line(),
            "group": self.group,
            "horizon": self.horizon,
            "n": self.n,
            "alpha": self.alpha,
            "mean_net": self.mean_net.as_dict(),
            "mean_gross": self.mean_gross.as_dict(),
            "hit_rate": self.hit_rate.as_dict(),
            "permutation": None
            if self.null is None
            else {
                "draws": self.null.draws,
                "p_mean": self.null.p_mean,
                "p_hit": self.null.p_hit,
                "null_mean_bps": float(np.nanmean(self.null.null_means))
                if self.null.draws
                else None,
            },
            "vs_random_timing": self.vs_null.as_dict() if self.vs_null else None,
            "vs_cex_momentum": self.vs_momentum.as_dict() if self.vs_momentum else None,
            "excluded_assets": self.excluded_assets,
            "costs_assumed": self.assumed_costs,
            "reason": self.reason,
        }


def spans_of(data: EvalData) -> dict[str, tuple[int, int]]:
    """Per asset, the span in which the detector saw its DEX flow (its first and last
    candidate signal, widened by an hour each way)."""
    out: dict[str, tuple[int, int]] = {}
    for o in data.outputs:
        if o.signal.origin != "dex":
            continue
        a, t = o.signal.asset_id, o.signal.ts
        lo, hi = out.get(a, (t, t))
        out[a] = (min(lo, t), max(hi, t))
    return {a: (lo - 3_600_000, hi + 3_600_000) for a, (lo, hi) in out.items()}


def judge(
    data: EvalData, g: Labeled, plan: EvaluationPlan, *, lookback_s: int, seed: int = 0
) -> Verdict:
    """The verdict on group ``g`` at the plan's primary horizon."""
    pp, reps, mb = plan.primary, plan.bootstrap.reps, plan.bootstrap.min_blocks
    h = pp.horizon
    net, ret = g.net[h], g.ret[h]
    measured = ~np.isnan(net)
    n = int(measured.sum())
    excluded = sorted(set(g.entries.assets) - data.measurable_assets(h))
    assumed = bool(
        {a for a, ok in zip(g.entries.assets, measured, strict=True) if ok} & data.assumed_costs
    )
    est = bootstrap_mean(net, g.blocks, reps=reps, seed=seed, min_blocks=mb)
    gross = bootstrap_mean(ret, g.blocks, reps=reps, seed=seed, min_blocks=mb)
    hit_v = np.where(measured, hits(np.nan_to_num(ret)), np.nan)
    hit = bootstrap_mean(hit_v, g.blocks, null=0.5, reps=reps, seed=seed, min_blocks=mb)
    if n < pp.min_signals:
        why = f"too few measurable signals (n = {n}; the plan needs {pp.min_signals})"
        if excluded:
            why += f"; {h} is not measurable for {', '.join(excluded)} (CEX data too coarse)"
        return Verdict(
            False, g.name, h, n, est, gross, hit, None, None, None, pp.alpha, why, excluded, assumed
        )
    null = permutation_null(
        g.entries,
        net,
        ret,
        data.prices,
        HORIZONS[h],
        spans=spans_of(data),
        stale_ms=data.stale_cex_ms,
        blocks=g.blocks,
        draws=plan.null.draws,
        seed=seed + plan.null.seed_offset,
    )
    vs_null = bootstrap_mean(net - null.twin_net, g.blocks, reps=reps, seed=seed, min_blocks=mb)
    mom = momentum_net(g.entries, data.prices, HORIZONS[h], lookback_s)
    vs_mom = bootstrap_mean(net - mom, g.blocks, reps=reps, seed=seed, min_blocks=mb)
    edge = est.p < pp.alpha and null.p_mean < pp.alpha and (est.value or 0.0) > 0
    why = reason(edge, est, pp.alpha, mb)
    return Verdict(
        edge,
        g.name,
        h,
        n,
        est,
        gross,
        hit,
        null,
        vs_null,
        vs_mom,
        pp.alpha,
        why,
        excluded,
        assumed,
        min_blocks=mb,
    )


def reason(edge: bool, est: Estimate, alpha: float, min_blocks: int) -> str:
    """Why the verdict is what it is, in words."""
    if edge:
        return f"both p-values below alpha = {alpha:g}"
    if (est.value or 0.0) <= 0:
        return "the mean net return is not positive"
    if est.blocks < min_blocks:
        return (
            f"too few independent blocks to test ({est.blocks} asset × hour blocks; the "
            f"plan needs {min_blocks})"
        )
    return f"not significant at alpha = {alpha:g} (both tests must pass)"
