"""One simulated world through the engine and the statistics: the unit of a sweep.

The world runs in virtual time and writes its ground-truth log; the log is replayed
through the same engine shell (``roots.evaluate``) that ``dexcex evaluate`` uses, and judged
with the same plan. ``wallets=False`` is the ablation of DexScreener-fed EVM chains: the
events are rewritten to a recorder file without trader ids (and tagged as polled, so the
poll interval counts in the latency), the way such a chain reaches the engine.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from dexcex.config import Settings
from dexcex.config.core_settings import CoreSettings
from dexcex.domain import Asset, DexSwap, ManualClock
from dexcex.evaluation.data import EvalData, from_replay
from dexcex.evaluation.groups import label_group, select
from dexcex.evaluation.metrics import Entry, detection
from dexcex.evaluation.plan import EvaluationPlan
from dexcex.evaluation.readers import SimLogReader, Truth
from dexcex.evaluation.verdict import Verdict, judge
from dexcex.pipeline.recording import RecordWriter
from dexcex.roots.evaluate import evaluate_replay
from dexcex.sim.market.events import Burst, CexMove
from dexcex.sim.scenario import Scenario
from dexcex.sim.world import SimWorld

__all__ = ["RunResult", "light", "run_world"]


def light(sc: Scenario, assets: list[str] | None = None) -> Scenario:
    """``sc`` made cheap to simulate: fewer assets, a book per second, fewer levels —
    what a sweep of many worlds or a many-seed test needs; the flows are unchanged."""
    market = sc.market.model_copy(
        update={"book_interval_ms": 2000, "book_levels": 10, "cex_trade_rate_hz": 0.3}
    )
    return sc.model_copy(update={"assets": assets or ["wif", "pepe"], "market": market})


@dataclass(frozen=True, slots=True)
class RunResult:
    data: EvalData
    verdict: Verdict
    recall: float
    precision: float
    passed: int
    approved: int
    mean_net_passed: float | None  # at the plan's horizon
    mean_move_bps: float  # of the CEX moves that happened

    def row(self) -> dict[str, Any]:
        return {
            "recall": self.recall,
            "precision": self.precision,
            "passed": self.passed,
            "approved": self.approved,
            "mean_net_passed_bps": self.mean_net_passed,
            "edge": self.verdict.edge,
            "p": self.verdict.mean_net.p,
            "p_perm": self.verdict.null.p_mean if self.verdict.null else None,
        }


def _without_wallets(log: Path, out: Path) -> tuple[list[Path], list[Burst], list[CexMove]]:
    reader = SimLogReader(log)
    clock = ManualClock(0)
    writer: RecordWriter | None = None
    assets: list[Asset] = []
    bursts: list[Burst] = []
    moves: list[CexMove] = []
    for item in reader.items():
        if isinstance(item, Asset):
            assets.append(item)
            if writer is not None:
                writer.set_assets(assets)
            continue
        if isinstance(item, Truth):
            (bursts if isinstance(item.event, Burst) else moves).append(item.event)  # type: ignore[arg-type]
            continue
        clock.set(item.ts_recv)
        if writer is None:
            writer = RecordWriter(out, list(assets), clock, flush_ms=60_000)
        writer.write(_strip(item) if isinstance(item, DexSwap) else item)
    if writer is None:
        return [], bursts, moves
    writer.close()
    return writer.files, bursts, moves


def _strip(s: DexSwap) -> DexSwap:
    """The swap as DexScreener reports it: no trader, polled."""
    return msgspec.structs.replace(s, trader=None, source="dexscreener")


def run_world(
    sc: Scenario,
    minutes: float,
    settings: CoreSettings,
    plan: EvaluationPlan,
    *,
    wallets: bool = True,
    seed: int = 0,
) -> RunResult:
    """Simulate ``minutes`` of ``sc``, replay it through the engine, judge it."""
    with tempfile.TemporaryDirectory(prefix="dexcex-sim-") as tmp:
        log = Path(tmp) / "truth.jsonl.zst"
        world = SimWorld(sc, log_path=log)
        world.run_virtual(world.market.now + int(minutes * 60_000))
        assert world.log is not None
        world.log.close()
        paths: list[Path] = [log]
        bursts: list[Burst] = []
        moves: list[CexMove] = []
        if not wallets:
            paths, bursts, moves = _without_wallets(log, Path(tmp) / "rec")
        rep = evaluate_replay(paths, Settings(core=settings))
    data = from_replay(
        rep,
        readers=rep.readers,
        core=rep.core,
        stale_cex_ms=int(settings.signals.stale_cex_s * 1000),
    )
    if not wallets:
        data.bursts, data.moves = bursts, moves
    g = label_group(data, plan.primary.group, plan)
    verdict = judge(data, g, plan, lookback_s=settings.signals.baseline.lookback_s, seed=seed)
    passed = label_group(data, "passed", plan)
    det = detection(
        [
            Entry(o.signal.asset_id, o.signal.ts, o.signal.direction.sign)
            for o in select(data, "passed")
        ],
        data.bursts,
    )
    net = passed.net[plan.primary.horizon]
    return RunResult(
        data,
        verdict,
        float(det["recall"]),
        float(det["precision"]),
        len(passed),
        len(g) if plan.primary.group == "approved" else len(label_group(data, "approved", plan)),
        float(np.nanmean(net)) if (~np.isnan(net)).any() else None,
        float(np.mean([abs(m.bps) for m in data.moves])) if data.moves else 0.0,
    )
