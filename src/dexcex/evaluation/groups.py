"""The groups the evaluation judges, labelled at every horizon with one rule.

- ``candidates``: every DEX signal the core produced (filtered ones included);
- ``passed``: those that passed the signal filters;
- ``approved``: those risk would have traded;
- ``momentum``: the live CEX-only baseline rule's approved signals (its own parameters,
  run by the same core on the same data).

Each signal's latency is its asset's (block time of its chain, poll interval of a polled
source, execution); its cost is the one the core estimated from the book it saw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dexcex.core import CoreOutput
from dexcex.domain import SignalStatus
from dexcex.evaluation.data import EvalData
from dexcex.evaluation.null import Entries
from dexcex.evaluation.plan import EvaluationPlan
from dexcex.evaluation.returns import forward_ret_bps
from dexcex.evaluation.stats import block_ids
from dexcex.labeling.outcomes import HORIZONS

__all__ = ["GROUP_NAMES", "Labeled", "label_group", "select"]

F = npt.NDArray[np.float64]
GROUP_NAMES: dict[str, str] = {
    "candidates": "DEX: all candidates",
    "passed": "DEX: passed filters",
    "approved": "DEX: risk-approved",
    "momentum": "CEX momentum (live rule)",
}
_DEFAULT_COST_BPS = 10.0


@dataclass(frozen=True, slots=True)
class Labeled:
    key: str
    entries: Entries
    ret: dict[str, F]  # per horizon: gross return in the signal's direction, bps
    net: dict[str, F]  # … minus the signal's cost
    confidence: F
    expected_bps: F
    blocks: npt.NDArray[np.int64]

    @property
    def name(self) -> str:
        return GROUP_NAMES[self.key]

    def __len__(self) -> int:
        return len(self.entries)


def select(data: EvalData, key: str) -> list[CoreOutput]:
    """The outputs that make up group ``key``."""
    out = []
    for o in data.outputs:
        s = o.signal
        if key == "momentum":
            if s.origin == "cex_baseline" and s.status is SignalStatus.NEW and o.decision.approved:
                out.append(o)
            continue
        if s.origin != "dex":
            continue
        if key != "candidates" and s.status is not SignalStatus.NEW:
            continue
        if key == "approved" and not o.decision.approved:
            continue
        out.append(o)
    return out


def label_group(data: EvalData, key: str, plan: EvaluationPlan) -> Labeled:
    outs = select(data, key)
    assets = [o.signal.asset_id for o in outs]
    ts = np.asarray([o.signal.ts for o in outs], dtype=np.int64)
    lat = np.asarray(
        [
            plan.latency.for_asset(data.chains.get(a), data.sources.get(a, set()))
            if key != "momentum"
            else plan.latency.execution_ms
            for a in assets
        ],
        dtype=np.int64,
    )
    e = Entries(
        assets,
        ts,
        np.asarray([o.signal.direction.sign for o in outs], dtype=np.float64),
        np.asarray(
            [o.signal.features.get("cost_bps", _DEFAULT_COST_BPS) for o in outs], dtype=np.float64
        ),
        lat,
    )
    ret: dict[str, F] = {}
    for h, secs in HORIZONS.items():
        r = np.full(len(outs), np.nan)
        for asset in set(assets):
            p = data.prices.get(asset)
            if p is None or not p.measurable(secs):
                continue
            rows = e.rows_of(asset)
            r[rows] = forward_ret_bps(p, e.ts[rows], e.direction[rows], secs, e.latency_ms[rows])
        ret[h] = r
    return Labeled(
        key,
        e,
        ret,
        {h: r - e.cost_bps for h, r in ret.items()},
        np.asarray([o.signal.confidence for o in outs], dtype=np.float64),
        np.asarray([o.signal.expected_move_bps for o in outs], dtype=np.float64),
        block_ids(assets, ts.tolist(), plan.bootstrap.cluster_ms),
    )
