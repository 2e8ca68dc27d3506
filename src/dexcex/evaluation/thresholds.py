"""A threshold sweep, judged as one family: Hansen's SPA over the confidence cut-offs.

Which ``min_confidence`` would have been best is a question asked of the same data
several times; the best of several looks better than it is. The sweep re-applies each
cut-off to the DEX signals that failed no filter but (at most) the confidence one — an
approximation of re-running the engine, since a different cut-off would also move the
cooldowns — and asks SPA whether the best cut-off beats not trading at all, the
comparison corrected for having tried them all.
"""

from __future__ import annotations

import numpy as np

from dexcex.domain import SignalStatus
from dexcex.evaluation.data import EvalData
from dexcex.evaluation.plan import EvaluationPlan
from dexcex.evaluation.returns import forward_ret_bps
from dexcex.evaluation.stats import spa_pvalue
from dexcex.labeling.outcomes import HORIZONS

__all__ = ["THRESHOLDS", "confidence_sweep"]

THRESHOLDS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)
_PERIOD_MS = 3_600_000


def confidence_sweep(data: EvalData, plan: EvaluationPlan, seed: int = 0) -> dict[str, object]:
    """Per cut-off: n and mean net at the primary horizon; SPA p-value over them all."""
    h = plan.primary.horizon
    rows = []
    for o in data.outputs:
        s = o.signal
        reason = s.status_reason or ""
        if s.origin != "dex":
            continue
        if s.status is not SignalStatus.NEW and not reason.startswith("confidence"):
            continue
        p = data.prices.get(s.asset_id)
        if p is None or not p.measurable(HORIZONS[h]):
            continue
        lat = plan.latency.for_asset(
            data.chains.get(s.asset_id), data.sources.get(s.asset_id, set())
        )
        r = forward_ret_bps(
            p, np.asarray([s.ts]), np.asarray([s.direction.sign]), HORIZONS[h], lat
        )[0]
        if not np.isnan(r):
            rows.append((s.ts, s.confidence, float(r) - s.features.get("cost_bps", 10.0)))
    out: dict[str, object] = {"horizon": h, "thresholds": []}
    if not rows:
        return out | {"spa_p": None}
    t0 = min(r[0] for r in rows) // _PERIOD_MS
    periods = max(r[0] for r in rows) // _PERIOD_MS - t0 + 1
    table = np.zeros((periods, len(THRESHOLDS)))
    stats = []
    for j, thr in enumerate(THRESHOLDS):
        nets = [(ts, net) for ts, c, net in rows if c >= thr]
        for ts, net in nets:
            table[ts // _PERIOD_MS - t0, j] += net
        stats.append(
            {
                "min_confidence": thr,
                "n": len(nets),
                "mean_net_bps": float(np.mean([n for _, n in nets])) if nets else None,
            }
        )
    return out | {"thresholds": stats, "spa_p": spa_pvalue(table, seed=seed), "periods": periods}
