"""``dexcex evaluate``: recorded data through the one engine — the same reorder window,
core and risk a live run has — on a clock the events move, and what it said collected
for the statistics (``evaluation.metrics``): every signal with its risk decision, the
active venue's CEX mids and spreads per asset, and the simulator's ground truth when the
data has it. No database, no trading: evaluation judges signals, not fills."""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Callable, Iterator
from pathlib import Path

from dexcex.config import Settings
from dexcex.core import Core, CoreOutput
from dexcex.domain import Asset, MarketEvent, OrderBook
from dexcex.evaluation.readers import Item, Reader, Truth, item_ts
from dexcex.evaluation.runner import Replay, open_readers
from dexcex.labeling.outcomes import MidSeries
from dexcex.pipeline.sources import TimedItems, progress_every
from dexcex.roots.virtual import virtual_engine
from dexcex.sim.market.events import Burst

__all__ = ["evaluate_replay"]

_SPREADS_KEPT = 10_000
_PROGRESS_EVERY = 50_000


def evaluate_replay(
    paths: list[Path],
    settings: Settings,
    progress: Callable[[int, int, int], None] | None = None,
) -> Replay:
    """Every readable file in ``paths`` through one engine, in time order.
    ``progress(events, bytes_read, bytes_total)`` about every 50,000 events."""
    return asyncio.run(_evaluate(paths, settings, progress))


async def _evaluate(
    paths: list[Path], settings: Settings, progress: Callable[[int, int, int], None] | None
) -> Replay:
    readers, unreadable = open_readers(paths)
    ve = virtual_engine(settings, db=None)
    result = Replay(readers, unreadable, core=ve.core)

    def keep(outs: list[CoreOutput], _now: int) -> None:
        result.outputs.extend(outs)

    ve.engine.on_delivered.append(keep)
    ve.engine.listeners.append(_market_collector(ve.core, result))
    total = sum(r.size for r in readers)
    chunk = progress_every(
        _PROGRESS_EVERY, progress, lambda: sum(r.position() for r in readers), total
    )
    source = TimedItems(_events(readers, result), on_chunk=chunk)
    await ve.engine.run(source)
    result.events, result.first_ts, result.last_ts = (
        source.events,
        source.first_ts,
        source.last_ts,
    )
    if progress is not None:
        progress(result.events, total, total)
    return result


def _events(readers: list[Reader], result: Replay) -> Iterator[MarketEvent | Asset]:
    """The readers merged in time order; the ground truth set aside."""

    def timed(k: int, reader: Reader) -> Iterator[tuple[int, int, int, Item]]:
        last = 0
        for n, item in enumerate(reader.items()):
            ts = item_ts(item, last)
            last = max(last, ts)
            yield ts, k, n, item

    for _, _, _, item in heapq.merge(*(timed(k, r) for k, r in enumerate(readers))):
        if isinstance(item, Truth):
            if isinstance(item.event, Burst):
                result.bursts.append(item.event)
            else:
                result.moves.append(item.event)
            continue
        yield item


def _market_collector(core: Core, result: Replay) -> Callable[[MarketEvent], None]:
    """Mids and spreads of the active venue's books, per asset, as the engine releases
    them (what outcomes and costs are measured on)."""

    def collect(ev: MarketEvent) -> None:
        if not isinstance(ev, OrderBook) or ev.mid is None or ev.venue is not core.active_venue:
            return
        aid = core.asset_of_market(ev.venue, ev.symbol)
        if aid is None:
            return
        result.mids.setdefault(aid, MidSeries()).add(ev.ts_event, ev.mid)
        if ev.spread_bps is not None:
            sp = result.spreads.setdefault(aid, [])
            if len(sp) < _SPREADS_KEPT:
                sp.append(ev.spread_bps)

    return collect
