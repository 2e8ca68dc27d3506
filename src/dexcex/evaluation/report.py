"""``dexcex evaluate``'s judgement: the verdict first, then everything else, adjusted.

``evaluate_data`` works on ``EvalData`` alone (what the engine said, and the CEX
prices); ``build_report`` adds what the readers said about the files. The result is a
plain dict (written as ``evaluation.json``; ``render`` prints it).
"""

from __future__ import annotations

import re
from typing import Any

from dexcex.config.core_settings import CoreSettings
from dexcex.domain import SignalStatus
from dexcex.evaluation.calibration import calibration
from dexcex.evaluation.cells import per_asset, secondary_cells
from dexcex.evaluation.data import EvalData, from_replay
from dexcex.evaluation.groups import GROUP_NAMES, label_group
from dexcex.evaluation.metrics import Entry, detection
from dexcex.evaluation.plan import EvaluationPlan, load_plan
from dexcex.evaluation.runner import Replay
from dexcex.evaluation.thresholds import confidence_sweep
from dexcex.evaluation.verdict import judge
from dexcex.labeling.outcomes import HORIZONS

__all__ = ["build_report", "evaluate_data"]


def evaluate_data(
    data: EvalData, settings: CoreSettings, plan: EvaluationPlan, seed: int = 0
) -> dict[str, Any]:
    """Verdict, secondary cells, per-asset rows, calibration and sweep of ``data``."""
    groups = [label_group(data, k, plan) for k in GROUP_NAMES]
    by_key = {g.key: g for g in groups}
    primary = by_key[plan.primary.group]
    verdict = judge(data, primary, plan, lookback_s=settings.signals.baseline.lookback_s, seed=seed)
    measurable = {h: data.measurable_assets(h) for h in HORIZONS}
    cells = secondary_cells(
        groups,
        (plan.primary.group, plan.primary.horizon),
        measurable,
        method=plan.secondary.adjust,
        reps=max(500, plan.bootstrap.reps // 2),
        seed=seed,
        min_blocks=plan.bootstrap.min_blocks,
    )
    report: dict[str, Any] = {
        "verdict": verdict.as_dict(),
        "plan": plan.model_dump(mode="json"),
        "secondary": [c.as_dict() for c in cells],
        "per_asset": per_asset(primary, plan.primary.horizon, data.assumed_costs),
        "calibration": calibration(by_key["candidates"], plan.primary.horizon),
        "confidence_sweep": confidence_sweep(data, plan, seed),
        "signals": {
            "candidates": len(by_key["candidates"]),
            "passed_filters": len(by_key["passed"]),
            "approved": len(by_key["approved"]),
            "momentum_approved": len(by_key["momentum"]),
            "filter_reasons": _reasons(data),
        },
        "cex_mid_resolution_s": {a: p.resolution_ms / 1000 for a, p in sorted(data.prices.items())},
        "horizons_not_measurable": {
            h: sorted(set(data.prices) - measurable[h])
            for h in HORIZONS
            if set(data.prices) - measurable[h]
        },
        "costs_assumed_for": sorted(data.assumed_costs),
        "latency_ms": {
            a: plan.latency.for_asset(data.chains.get(a), data.sources.get(a, set()))
            for a in sorted({o.signal.asset_id for o in data.outputs if o.signal.origin == "dex"})
        },
        "events": data.events,
        "seed": seed,
        "cost_model": (
            f"round trip: 2 x {settings.risk.taker_fee_bps:g} bps taker fee + the spread and "
            "slippage the core estimated from the book it saw (assumed where the book was "
            "rebuilt from candles or trades)"
        ),
    }
    if data.bursts:
        report["detection"] = _detection(data)
    return report


def _detection(data: EvalData) -> dict[str, Any]:
    """Precision and recall against the simulator's truth, before and after filters."""
    return {
        name: detection(
            [Entry(o.signal.asset_id, o.signal.ts, o.signal.direction.sign) for o in outs],
            data.bursts,
        )
        for name, outs in (
            ("all candidates", _outs(data, None)),
            ("passed filters", _outs(data, SignalStatus.NEW)),
        )
    }


def _outs(data: EvalData, status: SignalStatus | None) -> list[Any]:
    return [
        o
        for o in data.outputs
        if o.signal.origin == "dex" and (status is None or o.signal.status is status)
    ]


def build_report(
    replay: Replay,
    settings: CoreSettings,
    seed: int = 0,
    plan: EvaluationPlan | None = None,
    notes: list[str] | None = None,
) -> dict[str, Any]:
    """The report of a finished replay: what was read, then ``evaluate_data``."""
    data = from_replay(
        replay,
        readers=replay.readers,
        core=replay.core,
        stale_cex_ms=int(settings.signals.stale_cex_s * 1000),
    )
    report = evaluate_data(data, settings, plan or load_plan(), seed)
    return {
        "inputs": [r.describe() for r in replay.readers],
        "unreadable": replay.unreadable,
        "problems": {r.path.name: r.problems[:5] for r in replay.readers if r.problems},
        "span_hours": _covered_hours(replay),
        "notes": notes or [],
        "core_counters": dict(replay.core.counters) if replay.core else {},
        **report,
    }


def _covered_hours(replay: Replay) -> float:
    """Hours covered by at least one file (files of different days do not add up their gap)."""
    spans = sorted((r.first_ts, r.last_ts) for r in replay.readers if r.first_ts and r.last_ts)
    total, end = 0, 0
    for a, b in spans:
        if b > end:
            total += b - max(a, end)
            end = b
    return total / 3_600_000


def _reasons(data: EvalData) -> dict[str, int]:
    out: dict[str, int] = {}
    for o in data.outputs:
        r = o.signal.status_reason
        if o.signal.origin == "dex" and o.signal.status is SignalStatus.FILTERED and r:
            key = re.split(r"[\d(<]", r, maxsplit=1)[0].strip()
            out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))
