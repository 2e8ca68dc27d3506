"""The engine's event sources: a live bus, or recorded and simulated events in virtual
time. Each is an ``EventSource`` (``pipeline.ports``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Sequence

from dexcex.domain import Asset, MarketEvent
from dexcex.pipeline.bus import MarketBus

__all__ = ["BusSource", "TimedItems", "progress_every"]

_CHUNK = 2048
Progress = Callable[[int, int, int], None]  # (events, bytes read, bytes in all)


def progress_every(
    n: int, progress: Progress | None, position: Callable[[], int], total: int
) -> Callable[[int], None]:
    """A ``TimedItems.on_chunk`` that reports ``progress`` about every ``n`` events."""
    last = [0]

    def chunk(events: int) -> None:
        if progress is not None and events - last[0] >= n:
            last[0] = events
            progress(events, position(), total)

    return chunk


class BusSource:
    """What the supervised streams (or a Redis consumer) publish, in arrival order."""

    timed = False

    def __init__(self, bus: MarketBus, batch: int = 4096, idle_s: float = 0.05) -> None:
        self.bus = bus
        self.batch = batch
        self.idle_s = idle_s

    @property
    def drained(self) -> int:
        return self.bus.drained

    async def next(self) -> Sequence[MarketEvent]:
        await self.bus.wait(timeout_s=self.idle_s)
        return self.bus.drain(self.batch)

    @property
    def caught_up(self) -> bool:
        """The last drain emptied the bus: nothing that has arrived is waiting."""
        return not len(self.bus)

    def remaining(self) -> Sequence[MarketEvent]:
        return self.bus.drain(len(self.bus))


class TimedItems:
    """Recorded or generated items in arrival order, each stepped at its own ``ts_recv``.

    ``speed`` None: as fast as the engine goes. ``speed`` N: paced so that N seconds of
    recorded time pass per wall-clock second (a chunk ends where the next item is due
    later than now, and the next call waits for it). ``on_item`` sees every item (counts,
    progress) before the engine does."""

    timed = True
    drained = 0
    caught_up = False

    def __init__(
        self,
        items: Iterator[MarketEvent | Asset],
        *,
        speed: float | None = None,
        chunk: int = _CHUNK,
        on_chunk: Callable[[int], None] | None = None,
    ) -> None:
        self._items = items
        self.speed = speed
        self.chunk = chunk
        self.on_chunk = on_chunk
        self.events = 0
        self.first_ts = 0
        self.last_ts = 0
        self._held: MarketEvent | Asset | None = None
        self._wall0: float | None = None
        self._virt0 = 0
        self._done = False

    async def next(self) -> Sequence[MarketEvent | Asset] | None:
        if self._done:
            return None
        out: list[MarketEvent | Asset] = []
        if self._held is not None:
            await self._wait_for(self._held)
            out.append(self._held)
            self._held = None
        for item in self._items:
            if not isinstance(item, Asset):
                if self.speed is not None and self._ahead(item) > 0.005 and out:
                    self._held = item
                    break
                self._count(item)
            out.append(item)
            if len(out) >= self.chunk:
                break
        else:
            self._done = True
        if self.on_chunk is not None:
            self.on_chunk(self.events)
        return out if out or not self._done else None

    def _count(self, ev: MarketEvent) -> None:
        self.events += 1
        t = ev.ts_recv
        if not self.first_ts:
            self.first_ts = t
        self.last_ts = max(self.last_ts, t)

    def _ahead(self, ev: MarketEvent) -> float:
        """Seconds until ``ev`` is due on the wall clock at this speed."""
        assert self.speed is not None
        if self._wall0 is None:
            self._wall0, self._virt0 = time.perf_counter(), ev.ts_recv
        return (ev.ts_recv - self._virt0) / 1000 / self.speed - (time.perf_counter() - self._wall0)

    async def _wait_for(self, item: MarketEvent | Asset) -> None:
        if isinstance(item, Asset) or self.speed is None:
            return
        ahead = self._ahead(item)
        if ahead > 0:
            await asyncio.sleep(ahead)
        self._count(item)

    def remaining(self) -> Sequence[MarketEvent | Asset]:
        return []
