"""``dexcex paper``: the simulated market in virtual time → the one engine → paper
execution of every approved signal → labels, as fast as the machine goes.

The same engine as a live run (reorder window, core, storage before execution, the
execution service and its ledger, which risk decides on); the event source is the
simulator stepped a second at a time (``sim.virtual_source``). With ``settle``, one more
hour runs after the trading hours (no new trades) so the last signals' 60-minute
outcomes are known. The database it leaves is what ``dataset export`` and ``report``
read. With ``record``, every event the engine receives is also written to recorder files,
as a live run's are: ``dexcex replay --store`` of them (with ``execution.auto_paper``)
gives this run's signals, trades and outcomes again, row for row — when it did not settle
(the replay trades the settling hour, which this run only labels).

Signal and order ids follow from the scenario and its seed, so a database that already
holds signals of the same market hours (an earlier run, or one cut short by a crash) is
refused up front, in one line: its run would be neither continued nor repeated exactly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dexcex.config import Settings
from dexcex.core import CoreOutput
from dexcex.domain import ConfigError, SignalStatus
from dexcex.pipeline.replay import recording_files
from dexcex.roots.virtual import virtual_engine
from dexcex.sim.scenario import Scenario
from dexcex.sim.virtual_source import SimSteps
from dexcex.sim.world import SimWorld
from dexcex.store import Database

__all__ = ["PaperRunResult", "earlier_recording", "earlier_run", "run_paper"]

_SETTLE_MS = 3_600_000 + 180_000  # the longest horizon, and a little for the last books
_PROGRESS_MS = 300_000


@dataclass
class PaperRunResult:
    events: int = 0
    signals: int = 0
    dex_signals: int = 0
    baseline_signals: int = 0
    approved: int = 0
    orders: int = 0
    labeled: int = 0
    pending_labels: int = 0
    hours: float = 0.0


def run_paper(
    settings: Settings,
    scenario: Scenario,
    hours: float,
    db: Database,
    progress: Callable[[float, PaperRunResult], None] | None = None,
    *,
    settle: bool = True,
    record: Path | None = None,
) -> PaperRunResult:
    """Run ``hours`` of market time (then settle), trading every approved signal; with
    ``record``, every event recorded to that folder."""
    earlier_run(db, scenario, hours)
    earlier_recording(record)
    return asyncio.run(_paper(settings, scenario, hours, db, progress, settle, record))


async def _paper(
    settings: Settings,
    scenario: Scenario,
    hours: float,
    db: Database,
    progress: Callable[[float, PaperRunResult], None] | None,
    settle: bool,
    record: Path | None,
) -> PaperRunResult:
    start = scenario.start_ms
    end = start + int(hours * 3_600_000)
    final = end + (_SETTLE_MS if settle else 0)
    ve = virtual_engine(settings, db=db, auto=True, start_ms=start, record=record)
    ex = ve.execution
    assert ex is not None
    res = PaperRunResult()

    def count(outs: list[CoreOutput], _now: int) -> None:
        for out in outs:
            res.signals += 1
            if out.signal.origin == "dex":
                res.dex_signals += 1
            else:
                res.baseline_signals += 1
            if out.signal.status is SignalStatus.NEW and out.decision.approved:
                res.approved += 1

    ve.engine.on_delivered.append(count)
    next_report = [start + _PROGRESS_MS]

    def step(t: int) -> None:
        ex.accepting = t <= end  # the settling hour only settles outcomes
        if t >= next_report[0] and progress is not None:
            next_report[0] += _PROGRESS_MS
            _tally(res, ex.journal.written_orders, ex.labeler.labeled, ex.labeler.pending)
            progress((t - start) / 3_600_000, res)

    known = {a.id: a for a in settings.domain_assets()}
    source = SimSteps(SimWorld(scenario), known, final, on_step=step)
    await ve.engine.run(source)
    await ex.stop()
    res.events = source.events
    res.hours = (final - start) / 3_600_000
    _tally(res, ex.journal.written_orders, ex.labeler.labeled, ex.labeler.pending)
    if progress is not None:
        progress(res.hours, res)
    return res


def earlier_run(db: Database, scenario: Scenario, hours: float) -> None:
    """Refuse (``ConfigError``) a database that holds signals of these market hours."""
    start = scenario.start_ms
    end = start + int(hours * 3_600_000) + _SETTLE_MS
    n = db.signals.count_between(start, end)
    if n:
        raise ConfigError(
            f"the database already holds {n:,} signals of these market hours (an earlier "
            f"paper run of scenario {scenario.name!r}, seed {scenario.seed}): use another "
            "--db or another --seed"
        )


def earlier_recording(folder: Path | None) -> None:
    """Refuse (``ConfigError``) a recording folder that already holds recorder files: this
    run's events would be appended to theirs, and a replay would play both."""
    if folder is not None and folder.is_dir() and recording_files([folder]):
        raise ConfigError(
            f"{folder} already holds recorder files (an earlier run's): record to an empty "
            "or new folder"
        )


def _tally(res: PaperRunResult, orders: int, labeled: int, pending: int) -> None:
    res.orders, res.labeled, res.pending_labels = orders, labeled, pending
