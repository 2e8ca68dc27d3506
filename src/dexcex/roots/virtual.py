"""The engine as the virtual-time shells use it: a ManualClock the events move, paper
execution (never live: a replay must not trade), storage inline and in exact order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dexcex.config import Settings
from dexcex.core import Core
from dexcex.domain import Asset, ManualClock, VenueId
from dexcex.execution.executor import PaperExecutor
from dexcex.execution.journal import Journal
from dexcex.execution.kill_switch import KillSwitch
from dexcex.execution.paper import Execution, PaperBroker
from dexcex.execution.service import ExecutionService, FlushPolicy
from dexcex.models.loading import attach_models
from dexcex.pipeline.engine import Engine
from dexcex.pipeline.ports import inline
from dexcex.pipeline.recording import RecordWriter
from dexcex.store import Database

__all__ = ["VirtualEngine", "paper_execution", "virtual_engine"]

_FLUSH_EVERY_MS = 300_000  # the journal is written every 5 market minutes, and at the end


@dataclass
class VirtualEngine:
    clock: ManualClock
    core: Core
    engine: Engine
    execution: ExecutionService | None


def paper_execution(
    settings: Settings,
    clock: ManualClock,
    db: Database,
    core: Core | None,
    *,
    auto: bool,
    kill_switch: KillSwitch | None = None,
) -> ExecutionService:
    """Paper execution in virtual time: inline, journal on market time, labels closed at
    the end of the data. The kill switch is the run's own unless one is given (a replay
    must not leave the database killed for the live engine)."""
    fees = {v: settings.venues.get(v).taker_fee_bps for v in VenueId}

    def broker(sink: Callable[[Execution], None]) -> PaperBroker:
        return PaperBroker(settings.execution, fees, clock, sink)

    def executor(ex: ExecutionService) -> PaperExecutor:
        return PaperExecutor(
            broker, ex.on_execution, ex.on_order, ex.on_fill, store=ex.store_intent
        )

    return ExecutionService(
        settings,
        clock,
        Journal(db),
        executor,
        auto=auto,
        kill_switch=kill_switch,
        risk=core,
        flush=FlushPolicy(clock, _FLUSH_EVERY_MS),
        io=inline,
        finish_labels=True,
    )


def virtual_engine(
    settings: Settings,
    *,
    db: Database | None,
    auto: bool = False,
    assets: list[Asset] | None = None,
    start_ms: int = 0,
    kill_switch: KillSwitch | None = None,
    record: Path | None = None,
) -> VirtualEngine:
    """A core, an engine and (with a database) paper execution on one ManualClock; with
    ``record``, every event it receives written to recorder files in that folder, as a live
    run's are (``dexcex replay`` plays them back)."""
    clock = ManualClock(start_ms)
    core = Core(list(assets or []), settings.core, clock)
    execution = (
        paper_execution(settings, clock, db, core, auto=auto, kill_switch=kill_switch)
        if db
        else None
    )
    engine = Engine(
        core,
        clock,
        reorder_ms=settings.pipeline.reorder_ms,
        store=db.signals if db is not None else None,
        recorder=(
            RecordWriter(record, [], clock, flush_ms=settings.pipeline.record_flush_ms)
            if record is not None
            else None
        ),
        execution=execution,
        io=inline,
    )
    if execution is not None:
        engine.listeners.append(execution.on_event)
        attach_models(settings, core, execution, db, clock.now_ms)
    return VirtualEngine(clock, core, engine, execution)
