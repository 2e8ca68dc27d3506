"""Recorded events back through the same engine, on a virtual clock.

``--speed max`` runs as fast as the core goes (the basis of evaluation and the replay
benchmark); ``--speed N`` paces the events so that N seconds of recorded time pass per
wall-clock second. The virtual clock follows the events' receive times, so the reorder
window and every time-based rule behave as they did live.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dexcex.config import Settings
from dexcex.core import Core, CoreOutput
from dexcex.domain import Asset, ManualClock, MarketEvent
from dexcex.evaluation.readers import Reader
from dexcex.pipeline.bus import MarketBus
from dexcex.pipeline.engine import Engine
from dexcex.pipeline.recording import RecordReader, RecordWriter
from dexcex.store import Database

__all__ = ["ReplayResult", "convert", "recording_files", "replay_files"]

_BATCH = 2048


@dataclass
class ReplayResult:
    events: int = 0
    signals: int = 0
    stored: int = 0
    seconds: float = 0.0
    first_ts: int = 0
    last_ts: int = 0
    rejected: int = 0
    truncated: int = 0
    problems: list[str] = field(default_factory=list)
    outputs: list[CoreOutput] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


def recording_files(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(p.glob("events-*.jsonl.zst"))
        else:
            out.append(p)
    return out


async def replay_files(
    paths: list[Path],
    settings: Settings,
    *,
    speed: float | None = None,
    db: Database | None = None,
    keep_outputs: bool = False,
    progress: Callable[[int, int, int], None] | None = None,
) -> ReplayResult:
    """Replay recorder files through a fresh engine; ``speed`` None means as fast as
    possible. ``progress(events, bytes_read, bytes_total)`` every 50,000 events."""
    reader = RecordReader(recording_files(paths))
    total = sum(p.stat().st_size for p in reader.paths)
    clock = ManualClock(0)
    core = Core([], settings.core, clock)
    engine = Engine(core, MarketBus(1 << 30), clock, reorder_ms=settings.pipeline.reorder_ms, db=db)
    res = ReplayResult()
    started = time.perf_counter()
    wall0: float | None = None
    virt0 = 0
    batch: list[MarketEvent] = []

    async def run_batch() -> None:
        outs = engine.process(batch, clock.now_ms())
        batch.clear()
        if outs:
            await engine.deliver(outs)
            if keep_outputs:
                res.outputs.extend(outs)

    for item in reader.items():
        if isinstance(item, Asset):
            core.add_asset(item)
            continue
        clock.set(item.ts_recv)
        if not res.first_ts:
            res.first_ts = item.ts_recv
        res.last_ts = max(res.last_ts, item.ts_recv)
        batch.append(item)
        res.events += 1
        if speed is not None:
            if wall0 is None:
                wall0, virt0 = time.perf_counter(), item.ts_recv
            ahead = (item.ts_recv - virt0) / 1000 / speed - (time.perf_counter() - wall0)
            if ahead > 0.005:
                await run_batch()
                await asyncio.sleep(ahead)
        if len(batch) >= _BATCH:
            await run_batch()
        if progress is not None and res.events % 50_000 == 0:
            progress(res.events, reader.position(), total)
    await run_batch()
    outs = engine.flush()
    await engine.deliver(outs)
    if keep_outputs:
        res.outputs.extend(outs)
    res.seconds = time.perf_counter() - started
    _finish(res, engine, reader)
    if progress is not None:
        progress(res.events, total, total)
    return res


def _finish(res: ReplayResult, engine: Engine, reader: RecordReader) -> None:
    res.signals = engine.signals
    res.stored = engine.stored
    res.rejected = reader.rejected
    res.truncated = reader.truncated_tail
    res.problems = reader.problems


def _items(readers: list[Reader]) -> Iterator[tuple[int, int, Asset | MarketEvent]]:
    import heapq

    from dexcex.evaluation.readers import Truth, item_ts

    def timed(k: int, r: Reader) -> Iterator[tuple[int, int, Asset | MarketEvent]]:
        last = 0
        for n, it in enumerate(r.items()):
            if isinstance(it, Truth):
                continue
            ts = item_ts(it, last)
            last = max(last, ts)
            yield ts, k * 1_000_000_000 + n, it

    yield from heapq.merge(*(timed(k, r) for k, r in enumerate(readers)), key=lambda x: x[:2])


def convert(paths: list[Path], out: Path) -> tuple[int, list[str], list[Path]]:
    """Files in the formats ``dexcex evaluate`` reads (simulator logs, Uniswap v3 CSVs,
    candles, cryptofeed recordings) → recorder files in ``out``. Returns (events written,
    what could not be read, files written)."""
    from dexcex.evaluation.runner import open_readers

    readers, unreadable = open_readers(paths)
    clock = ManualClock(0)
    assets: list[Asset] = []
    writer: RecordWriter | None = None
    n = 0
    for ts, _, item in _items(readers):
        if isinstance(item, Asset):
            assets.append(item)
            if writer is not None:
                writer.set_assets(assets)
            continue
        clock.set(ts)
        if writer is None:
            writer = RecordWriter(out, list(assets), clock, flush_ms=60_000)
        writer.write(item)
        n += 1
    if writer is None:
        return 0, unreadable, []
    writer.close()
    return n, unreadable, writer.files
