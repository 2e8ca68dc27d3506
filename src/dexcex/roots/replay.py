"""``dexcex replay``: recorder files through the one engine, on a clock the events move.

``speed`` None runs as fast as the engine goes (the replay benchmark); N paces the events
so that N seconds of recorded time pass per wall-clock second. Each event is stepped at
its own receive time, so the reorder window and every time-based rule behave as they did
live. With a database, signals are stored and labelled as their horizons elapse in the
recorded data (paper execution, which trades only with ``execution.auto_paper``: a
replay never trades live).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from dexcex.config import Settings
from dexcex.core import CoreOutput
from dexcex.pipeline.recording import RecordReader
from dexcex.pipeline.replay import ReplayResult, recording_files
from dexcex.pipeline.sources import TimedItems, progress_every
from dexcex.roots.virtual import virtual_engine
from dexcex.store import Database

__all__ = ["replay_files"]

_PROGRESS_EVERY = 50_000


async def replay_files(
    paths: list[Path],
    settings: Settings,
    *,
    speed: float | None = None,
    db: Database | None = None,
    keep_outputs: bool = False,
    progress: Callable[[int, int, int], None] | None = None,
) -> ReplayResult:
    """Replay recorder files through a fresh engine. ``progress(events, bytes_read,
    bytes_total)`` about every 50,000 events."""
    reader = RecordReader(recording_files(paths))
    total = sum(p.stat().st_size for p in reader.paths)
    ve = virtual_engine(settings, db=db, auto=settings.execution.auto_paper)
    res = ReplayResult()
    if keep_outputs:

        def keep(outs: list[CoreOutput], _now: int) -> None:
            res.outputs.extend(outs)

        ve.engine.on_delivered.append(keep)
    chunk = progress_every(_PROGRESS_EVERY, progress, reader.position, total)
    source = TimedItems(reader.items(), speed=speed, on_chunk=chunk)
    started = time.perf_counter()
    await ve.engine.run(source)
    if ve.execution is not None:
        await ve.execution.stop()
        res.labeled = ve.execution.labeler.labeled
    res.seconds = time.perf_counter() - started
    res.events, res.first_ts, res.last_ts = source.events, source.first_ts, source.last_ts
    res.signals, res.stored = ve.engine.signals, ve.engine.stored
    res.rejected, res.truncated, res.problems = (
        reader.rejected,
        reader.truncated_tail,
        reader.problems,
    )
    if progress is not None:
        progress(res.events, total, total)
    return res
