"""``model compare``: the rule and a served model judged on the same labelled signals
with the evaluation plan's primary metric and statistics.

The candidates are the DEX signals the model scored whose outcome at the plan's horizon
is known. The rule picks what it let through and risk approved (the plan's ``approved``
group); the model picks the signals its probability puts at or above its top-decile
cut. Each pick's mean net return after costs gets the plan's block bootstrap (95 % CI,
one-sided p of "> 0", no p below ``min_blocks``) and the verdict uses the plan's alpha;
the two are compared as the paired difference per candidate (``scores.compare``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from dexcex.evaluation.plan import EvaluationPlan
from dexcex.evaluation.stats import Estimate, block_ids, bootstrap_mean
from dexcex.models.scores import compare

__all__ = ["Comparison", "compare_on"]


@dataclass(frozen=True)
class Comparison:
    model_id: str
    horizon: str
    candidates: int
    rule: Estimate
    model: Estimate
    rule_picks: int
    model_picks: int
    difference: Estimate  # model − rule, bps per candidate
    alpha: float

    def lines(self) -> list[str]:
        def one(name: str, e: Estimate, n: int) -> str:
            if e.value is None:
                return f"{name}: no picks"
            ci = f"[{e.ci[0]:+.2f}, {e.ci[1]:+.2f}]" if e.ci else "[no CI]"
            word = "edge" if e.p < self.alpha and e.ci and e.ci[0] > 0 else "no edge shown"
            return f"{name}: {n:,} picks, mean net {e.value:+.2f} bps {ci}, p = {e.p:.3f}: {word}"

        d = self.difference
        dci = f"[{d.ci[0]:+.3f}, {d.ci[1]:+.3f}]" if d.ci else "[no CI]"
        better = d.ci is not None and d.ci[0] > 0
        return [
            f"{self.candidates:,} labelled candidates at {self.horizon}",
            one("rule (approved)", self.rule, self.rule_picks),
            one(f"model {self.model_id}", self.model, self.model_picks),
            f"model − rule: {d.value if d.value is not None else float('nan'):+.3f} bps per "
            f"candidate {dci}: {'the model is better' if better else 'not shown better'}",
        ]


def compare_on(
    rows: list[dict[str, Any]], model_id: str, cut: float, plan: EvaluationPlan
) -> Comparison:
    """``rows``: database signal rows (``signals.iter_range``)."""
    h = plan.primary.horizon
    cand = [
        r
        for r in rows
        if r.get("origin") == "dex"
        and model_id in (r.get("model_scores") or {})
        and r.get(f"net_{h}_bps") is not None
    ]
    net = np.array([r[f"net_{h}_bps"] for r in cand], dtype=np.float64)
    blocks = block_ids(
        [r["asset_id"] for r in cand], [r["created_ms"] for r in cand], plan.bootstrap.cluster_ms
    )
    rule = np.array(
        [r.get("risk_decision") == "approved" and r.get("status") != "filtered" for r in cand],
        dtype=np.bool_,
    )
    model = np.array([r["model_scores"][model_id] >= cut for r in cand], dtype=np.bool_)
    b = plan.bootstrap

    def est(sel: np.ndarray[Any, np.dtype[np.bool_]]) -> Estimate:
        return bootstrap_mean(net[sel], blocks[sel], reps=b.reps, min_blocks=b.min_blocks)

    return Comparison(
        model_id,
        h,
        len(cand),
        est(rule),
        est(model),
        int(rule.sum()),
        int(model.sum()),
        compare(model, rule, net, blocks, b.reps, 0),
        plan.primary.alpha,
    )
