"""Between the streams and the core: bounded queues with an explicit policy per kind.

- **Market data** (swaps, prices, liquidity, flow, trades, books) goes into a bounded
  ring: under overload the *oldest* event is dropped — the newest state is worth more
  than a stale one — and every drop is counted (``dropped``) and logged (rate-limited).
  Publishing never blocks a connector.
- **Signals, orders and fills** go through ``ControlChannel``: bounded too, but a full
  channel makes the publisher wait (backpressure). Nothing there is ever dropped.

Events of parallel sources are merged in ``ts_event`` order within a reorder window
(``Reorderer``): an event is released once the clock has passed its timestamp by the
window, so a swap that arrives 100 ms after a book it preceded still reaches the core
first. An event already older than the window on arrival is released at once (counted as
``late``); the core's own rule for late events then applies.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

from dexcex.domain import MarketEvent
from dexcex.logs import get_logger

__all__ = ["ControlChannel", "MarketBus", "Reorderer"]

_log = get_logger("dexcex.bus")
T = TypeVar("T")


class MarketBus:
    """Bounded, drop-oldest queue of market events; ``publish`` never waits."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.capacity = capacity
        self._q: deque[MarketEvent] = deque()
        self._ready = asyncio.Event()
        self.published = 0
        self.drained = 0
        self.dropped = 0
        self._last_drop_log = 0
        # Observers of every event as it arrives, before the reorder window (the page's
        # prices: display needs speed, not event-time order). Must be cheap.
        self.taps: list[Callable[[MarketEvent], None]] = []

    def publish(self, ev: MarketEvent) -> None:
        for tap in self.taps:
            tap(ev)
        q = self._q
        if len(q) >= self.capacity:
            q.popleft()
            self.dropped += 1
            if self.dropped - self._last_drop_log >= 1000 or self._last_drop_log == 0:
                self._last_drop_log = self.dropped
                _log.warning("market bus full: dropping oldest events", dropped=self.dropped)
        q.append(ev)
        self.published += 1
        self._ready.set()

    def __len__(self) -> int:
        return len(self._q)

    def drain(self, limit: int = 4096) -> list[MarketEvent]:
        """Up to ``limit`` events, oldest first (without waiting)."""
        q = self._q
        n = min(limit, len(q))
        out = [q.popleft() for _ in range(n)]
        self.drained += n
        if not q:
            self._ready.clear()
        return out

    async def wait(self, timeout_s: float | None = None) -> None:
        """Until there is something to drain (or the timeout passes)."""
        if self._q:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout_s)


class Reorderer:
    """Releases events in ``ts_event`` order once ``now`` is past them by ``window_ms``.

    Ties keep arrival order. Memory is bounded by what arrives within one window (plus
    the market bus's capacity upstream).
    """

    def __init__(self, window_ms: int) -> None:
        self.window_ms = window_ms
        self._heap: list[tuple[int, int, MarketEvent]] = []
        self._n = 0
        self.released_ts = 0
        self.late = 0

    def push(self, ev: MarketEvent) -> None:
        self._n += 1
        heapq.heappush(self._heap, (ev.ts_event, self._n, ev))

    def pending_before(self, cutoff_ms: int) -> bool:
        """Is anything held with ``ts_event <= cutoff_ms`` (due for release)?"""
        heap = self._heap
        return bool(heap) and heap[0][0] <= cutoff_ms

    def pop_due(self, cutoff_ms: int) -> MarketEvent | None:
        """The oldest event held with ``ts_event <= cutoff_ms`` (None: nothing is due)."""
        heap = self._heap
        if not heap or heap[0][0] > cutoff_ms:
            return None
        ts, _, ev = heapq.heappop(heap)
        if ts < self.released_ts:
            self.late += 1
        else:
            self.released_ts = ts
        return ev

    def release(self, now_ms: int) -> list[MarketEvent]:
        """Every event with ``ts_event <= now_ms - window_ms``, oldest first."""
        cutoff = now_ms - self.window_ms
        heap = self._heap
        out: list[MarketEvent] = []
        while heap and heap[0][0] <= cutoff:
            ts, _, ev = heapq.heappop(heap)
            if ts < self.released_ts:
                self.late += 1
            else:
                self.released_ts = ts
            out.append(ev)
        return out

    def flush(self) -> list[MarketEvent]:
        """Everything still held, in order (end of a replay, shutdown)."""
        heap = self._heap
        out = [heapq.heappop(heap)[2] for _ in range(len(heap))]
        if out:
            self.released_ts = max(self.released_ts, out[-1].ts_event)
        return out

    def __len__(self) -> int:
        return len(self._heap)


class ControlChannel(Generic[T]):
    """Signals, orders, fills: bounded, never dropped — a full channel makes ``put`` wait."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._q: asyncio.Queue[T] = asyncio.Queue(capacity)
        self.waited = 0  # puts that found the channel full and had to wait

    async def put(self, item: T) -> None:
        if self._q.full():
            self.waited += 1
        await self._q.put(item)

    async def get(self) -> T:
        return await self._q.get()

    def get_nowait(self) -> T:
        return self._q.get_nowait()

    def qsize(self) -> int:
        return self._q.qsize()
