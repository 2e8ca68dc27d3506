"""The consumer side of the bus: record, reorder, run the core, store, then publish.

Per batch drained from the market bus, in this order:

1. every event is written to the recorder (when recording) — what arrived, as it arrived;
2. it enters the reorder window; what the window releases goes to the core in
   ``ts_event`` order;
3. each (signal, risk decision) the core returns is **stored first** (one transaction
   per batch, off the event loop) and only then handed to the subscribers (the page,
   execution) through never-dropping control channels.

Live runs and replays use this same class; only the clock and what feeds the bus differ.
``process`` is the synchronous core of it, which a replay at ``--speed max`` and the
benchmarks call directly.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from dexcex.core import Core, CoreOutput
from dexcex.domain import Clock, MarketEvent
from dexcex.logs import get_logger
from dexcex.pipeline.bus import ControlChannel, MarketBus, Reorderer
from dexcex.pipeline.recording import RecordWriter
from dexcex.store import Database

__all__ = ["Engine"]

_log = get_logger("dexcex.engine")


class Engine:
    def __init__(
        self,
        core: Core | None,
        bus: MarketBus,
        clock: Clock,
        *,
        reorder_ms: int = 250,
        db: Database | None = None,
        recorder: RecordWriter | None = None,
        batch: int = 4096,
    ) -> None:
        self.core = core
        self.bus = bus
        self.clock = clock
        self.reorder = Reorderer(reorder_ms)
        self.db = db
        self.recorder = recorder
        self.batch = batch
        self.subscribers: list[ControlChannel[CoreOutput]] = []
        self.events = 0
        self.signals = 0
        self.stored = 0
        self.on_event: list[Callable[[MarketEvent], None]] = []  # taps (tests, the page)
        # DEX sources whose prices disagree with the others (monitor.accuracy): their
        # events are seen by the taps but kept from the core
        self.excluded_sources: set[str] = set()
        self.excluded_events = 0
        self.duplicates = 0  # signals already stored: not stored or published again
        # after each delivered batch: every event with ts_event <= this has been through
        # the core and its signals are stored (what a bus may acknowledge)
        self.done_through_ms = 0
        self.done_drained = 0  # … and every event drained from the bus up to this count
        # after a batch of signals is stored: (outputs, now_ms) — latency metrics
        self.on_delivered: list[Callable[[list[CoreOutput], int], None]] = []
        self._stop = asyncio.Event()

    def subscribe(self, capacity: int = 10_000) -> ControlChannel[CoreOutput]:
        ch: ControlChannel[CoreOutput] = ControlChannel(capacity)
        self.subscribers.append(ch)
        return ch

    # --- synchronous core of the loop ----------------------------------------------------------

    def process(self, events: list[MarketEvent], now_ms: int) -> list[CoreOutput]:
        """Record and reorder ``events``, run what the window releases at ``now_ms``."""
        if self.recorder is not None:
            self.recorder.write_many(events)
        push = self.reorder.push
        for ev in events:
            push(ev)
        return self._run(self.reorder.release(now_ms))

    def flush(self) -> list[CoreOutput]:
        """Release everything still in the reorder window (end of a replay; shutdown)."""
        return self._run(self.reorder.flush())

    def _run(self, released: list[MarketEvent]) -> list[CoreOutput]:
        self.events += len(released)
        taps = self.on_event
        core = self.core
        if core is None:
            for ev in released:
                for tap in taps:
                    tap(ev)
            return []
        outs: list[CoreOutput] = []
        on_event = core.on_event
        excluded = self.excluded_sources
        for ev in released:
            for tap in taps:
                tap(ev)
            if excluded and getattr(ev, "source", None) in excluded:
                self.excluded_events += 1  # a source that disagrees does not trigger signals
                continue
            out = on_event(ev)
            if out is not None:
                outs.append(out)
        self.signals += len(outs)
        return outs

    # --- async loop ----------------------------------------------------------------------------

    async def deliver(self, outs: list[CoreOutput]) -> None:
        """Store, then publish: nothing is shown or executed before it is in the database."""
        if not outs:
            return
        if self.db is not None:
            pairs = [(o.signal, o.decision) for o in outs]
            fresh = await asyncio.to_thread(self.db.signals.add_decided_new, pairs)
            self.stored += len(fresh)
            if len(fresh) < len(outs):  # seen before (events replayed after a restart)
                self.duplicates += len(outs) - len(fresh)
                outs = [o for o in outs if o.signal.id in fresh]
        if self.on_delivered:
            now = self.clock.now_ms()
            for fn in self.on_delivered:
                fn(outs, now)
        for out in outs:
            for ch in self.subscribers:
                await ch.put(out)

    async def run(self) -> None:
        """Until ``stop()``: drain the bus, process, deliver; flush the recorder on time."""
        bus = self.bus
        try:
            while not self._stop.is_set():
                await bus.wait(timeout_s=0.05)
                events = bus.drain(self.batch)
                mark = bus.drained
                now = self.clock.now_ms()
                outs = self.process(events, now)
                await self.deliver(outs)
                self.done_through_ms = now - self.reorder.window_ms
                self.done_drained = mark
                if self.recorder is not None:
                    self.recorder.tick()
        finally:
            with contextlib.suppress(Exception):
                await self.deliver(self.process(self.bus.drain(len(self.bus)), 0) + self.flush())
            if self.recorder is not None:
                self.recorder.close()

    def stop(self) -> None:
        self._stop.set()
