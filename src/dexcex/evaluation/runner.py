"""Replay files through the core with a virtual clock and collect what it said.

Readers are merged in time order; every item goes to the same ``Core`` a live run uses,
with a ``ManualClock`` set to the item's time, so evaluation measures the product itself.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dexcex.config.core_settings import CoreSettings
from dexcex.core import Core, CoreOutput
from dexcex.domain import Asset, ManualClock, OrderBook
from dexcex.evaluation.readers import Item, Reader, Truth, item_ts, open_reader, select_readers
from dexcex.labeling.outcomes import MidSeries
from dexcex.sim.market.events import Burst, CexMove

__all__ = ["Replay", "expand_paths", "open_readers", "replay"]


@dataclass
class Replay:
    readers: list[Reader]
    unreadable: list[str]
    outputs: list[CoreOutput] = field(default_factory=list)
    mids: dict[str, MidSeries] = field(default_factory=dict)
    spreads: dict[str, list[float]] = field(default_factory=dict)
    bursts: list[Burst] = field(default_factory=list)
    moves: list[CexMove] = field(default_factory=list)
    events: int = 0
    first_ts: int = 0
    last_ts: int = 0
    core: Core | None = None


def expand_paths(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(q for q in p.rglob("*") if q.is_file() and not q.name.endswith(".md"))
        else:
            out.append(p)
    return out


def open_readers(paths: list[Path]) -> tuple[list[Reader], list[str]]:
    """A reader for every file under ``paths`` that has a known format; why not, for the
    others."""
    readers: list[Reader] = []
    unreadable: list[str] = []
    for p in expand_paths(paths):
        r = open_reader(p)
        (unreadable.append(r) if isinstance(r, str) else readers.append(r))
    readers, superseded = select_readers(readers)
    return readers, unreadable + superseded


def _timed(reader: Reader) -> Iterator[tuple[int, int, Item]]:
    last = 0
    for n, item in enumerate(reader.items()):
        ts = item_ts(item, last)
        last = max(last, ts)
        yield ts, n, item


def replay(
    paths: list[Path],
    settings: CoreSettings,
    progress: Callable[[int, int, int], None] | None = None,
) -> Replay:
    """Run every readable file in ``paths`` through one core, in time order.

    ``progress(events, bytes_read, bytes_total)`` is called every 50,000 events."""
    readers, unreadable = open_readers(paths)
    clock = ManualClock(0)
    core = Core([], settings, clock)
    result = Replay(readers, unreadable, core=core)
    streams = [_timed(r) for r in readers]
    total = sum(r.size for r in readers)
    for ts, _, item in heapq.merge(*streams, key=lambda x: (x[0], x[1])):
        if isinstance(item, Asset):
            core.add_asset(item)
            continue
        if isinstance(item, Truth):
            (result.bursts if isinstance(item.event, Burst) else result.moves).append(item.event)  # type: ignore[arg-type]
            continue
        if not result.first_ts:
            result.first_ts = ts
        result.last_ts = max(result.last_ts, ts)
        clock.set(ts)
        result.events += 1
        out = core.on_event(item)
        if out is not None:
            result.outputs.append(out)
        if isinstance(item, OrderBook) and item.mid is not None:
            aid = core.asset_of_market(item.venue, item.symbol)
            if aid is not None and item.venue is core.active_venue:
                result.mids.setdefault(aid, MidSeries()).add(item.ts_event, item.mid)
                if item.spread_bps is not None:
                    sp = result.spreads.setdefault(aid, [])
                    if len(sp) < 10_000:
                        sp.append(item.spread_bps)
        if progress is not None and result.events % 50_000 == 0:
            progress(result.events, sum(r.position() for r in readers), total)
    if progress is not None:
        progress(result.events, total, total)
    return result
