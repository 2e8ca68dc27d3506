"""The one engine: every run — live, demo, replay, evaluation, paper — is this loop.

A shell (``dexcex.roots``) chooses three things and hands them to it:

* a **clock** — the wall (live), the simulator's market clock (demo), or a
  ``ManualClock`` that a virtual-time source moves (replay, evaluate, paper);
* an **event source** (``pipeline.sources``) — the market bus the supervised streams
  feed, recorder files, readers of recorded data, or the simulator stepped in virtual
  time;
* an **executor**, inside the ``ExecutionService`` — the paper broker or the live trader.

Each step, in this order:

1. the events are written to the recorder (when recording), as they arrived;
2. they enter the reorder window; what it releases goes, in ``ts_event`` order, to the
   listeners (execution's books: fills, marks and labels; the page's book check, the
   accuracy monitor) and then to the core — unless its source is excluded;
3. each (signal, risk decision) the core returns is **stored first** (one transaction per
   batch), then offered to execution (labelled from now on; traded when approved and
   automatic), then to the subscribers (the page), through never-dropping channels.

Nothing stops the loop silently. Signals the database refuses are held (up to
``HOLD_SIGNALS``) and stored again with a growing delay — offered only once stored; a
step that raises is logged and the loop goes on. Both are counted and turn the engine's
light red (``faults``) until the part works again.

A virtual-time source (``EventSource.timed``) has each event stepped at its own time:
its arrival moves the clock, and what the window releases then is processed at that
moment — so every time-based rule (stale data, cool-downs, exits) sees the ages it saw
live, whatever the batch size. Its signals are delivered before the next event, so a
paper fill walks the first book after the signal, as it would have live.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence

from dexcex.core import Core, CoreOutput
from dexcex.domain import Asset, Clock, ManualClock, MarketEvent
from dexcex.logs import get_logger
from dexcex.pipeline.bus import ControlChannel, Reorderer
from dexcex.pipeline.faults import Faults
from dexcex.pipeline.ports import (
    EventSource,
    ExecutionPort,
    Io,
    Listener,
    SignalStore,
    SourceFilter,
    threaded,
)
from dexcex.pipeline.recording import RecordWriter

__all__ = ["HOLD_SIGNALS", "Engine"]

_log = get_logger("dexcex.engine")
HOLD_SIGNALS = 10_000  # signals kept for storage while the database refuses them
_RETRY_MS = 500  # the first wait before storing held signals again (doubling)
_RETRY_CAP_MS = 30_000


class Engine:
    def __init__(
        self,
        core: Core | None,
        clock: Clock,
        *,
        reorder_ms: int = 250,
        store: SignalStore | None = None,
        recorder: RecordWriter | None = None,
        execution: ExecutionPort | None = None,
        io: Io = threaded,
        faults: Faults | None = None,
    ) -> None:
        self.core = core
        self.faults = faults or Faults()
        self.clock = clock
        self.reorder = Reorderer(reorder_ms)
        self.store = store
        self.recorder = recorder
        self.execution = execution
        self.io = io
        self.subscribers: list[ControlChannel[CoreOutput]] = []
        self.listeners: list[Listener] = []  # every released event (tests, the page, execution)
        # DEX sources whose prices disagree with the others (monitor.accuracy): their
        # events reach the listeners but not the core
        self.exclusion: SourceFilter | None = None
        # after a batch of signals is stored: (outputs, now_ms) — latency metrics, alerts
        self.on_delivered: list[Callable[[list[CoreOutput], int], None]] = []
        self.events = 0
        self.signals = 0
        self.stored = 0
        self.excluded_events = 0
        self.duplicates = 0  # signals already stored: not stored or published again
        self.unstored_lost = 0  # signals dropped because the database refused them too long
        self._held: list[CoreOutput] = []  # not stored yet: storage failed
        self._store_failures = 0
        self._retry_at_ms = 0
        # every event with ts_event <= this has been through the core and its signals are
        # stored (what a bus may acknowledge), and every event drained up to this count
        self.done_through_ms = 0
        self.done_drained = 0
        self._stop = asyncio.Event()

    def subscribe(self, capacity: int = 10_000) -> ControlChannel[CoreOutput]:
        ch: ControlChannel[CoreOutput] = ControlChannel(capacity)
        self.subscribers.append(ch)
        return ch

    def add_asset(self, asset: Asset) -> None:
        """An asset a recording or a simulator announces as it goes."""
        if self.core is not None:
            self.core.add_asset(asset)
        if self.recorder is not None:
            self.recorder.add_asset(asset)

    # --- the synchronous core of a step --------------------------------------------------------

    def step(self, events: Sequence[MarketEvent], now_ms: int) -> list[CoreOutput]:
        """Record and reorder ``events`` (arrived by ``now_ms``), run what the window
        releases at ``now_ms``."""
        if self.recorder is not None:
            self.recorder.write_many(events)
        push = self.reorder.push
        for ev in events:
            push(ev)
        return self._run(self.reorder.release(now_ms))

    def step_timed(
        self, items: Sequence[MarketEvent | Asset], start: int = 0
    ) -> tuple[list[CoreOutput], int]:
        """Step ``items[start:]`` each at its own arrival time (``ts_recv``) on the
        engine's ``ManualClock``, until one produces signals. Returns those signals and
        where to go on from."""
        clock = self.clock
        assert isinstance(clock, ManualClock), "a timed source needs a ManualClock"
        reorder = self.reorder
        window = reorder.window_ms
        recorder = self.recorder
        n = len(items)
        i = start
        while i < n:
            item = items[i]
            i += 1
            if isinstance(item, Asset):
                self.add_asset(item)
                continue
            t = item.ts_recv
            if t > clock.now_ms():
                clock.set(t)
            if recorder is not None:
                recorder.write(item)
            outs: list[CoreOutput] = []
            if reorder.pending_before(t - window):
                outs = self._run(reorder.release(t))
            reorder.push(item)
            if outs:
                return outs, i
        return [], i

    def flush(self) -> list[CoreOutput]:
        """Release everything still in the reorder window (end of a replay; shutdown).
        On a ``ManualClock`` each event is run at the time the window would have let it
        go."""
        clock = self.clock
        if not isinstance(clock, ManualClock):
            return self._run(self.reorder.flush())
        outs: list[CoreOutput] = []
        window = self.reorder.window_ms
        for ev in self.reorder.flush():
            due = ev.ts_event + window
            if due > clock.now_ms():
                clock.set(due)
            outs += self._run((ev,))
        return outs

    def _run(self, released: Sequence[MarketEvent]) -> list[CoreOutput]:
        self.events += len(released)
        listeners = self.listeners
        core = self.core
        if core is None:
            for ev in released:
                for fn in listeners:
                    fn(ev)
            return []
        outs: list[CoreOutput] = []
        on_event = core.on_event
        exclusion = self.exclusion
        for ev in released:
            for fn in listeners:
                fn(ev)
            if exclusion is not None and exclusion.excludes(ev):
                self.excluded_events += 1  # a source that disagrees does not trigger signals
                continue
            out = on_event(ev)
            if out is not None:
                outs.append(out)
        self.signals += len(outs)
        return outs

    # --- delivering ----------------------------------------------------------------------------

    async def deliver(self, outs: list[CoreOutput]) -> None:
        """Store, then execute and publish: nothing is shown or traded before it is in the
        database."""
        if self.store is not None:
            outs = await self._store(outs)
        if not outs:
            return
        if self.on_delivered:
            now = self.clock.now_ms()
            for fn in self.on_delivered:
                fn(outs, now)
        if self.execution is not None:
            for out in outs:
                await self.execution.offer(out)
        for out in outs:
            for ch in self.subscribers:
                await ch.put(out)

    async def _store(self, outs: list[CoreOutput]) -> list[CoreOutput]:
        """``outs`` and the signals held from before, stored: what is new among them. When
        the database refuses, all of them are held for the next attempt."""
        assert self.store is not None
        if self._held:
            outs = self._held + outs
            self._held = []
            if self.clock.now_ms() < self._retry_at_ms:
                return self._hold(outs)
        if not outs:
            return []
        pairs = [(o.signal, o.decision) for o in outs]
        try:
            fresh = await self.io(self.store.add_decided_new, pairs)
        except Exception as exc:
            self._store_failures += 1
            self.faults.failed("signal storage", exc)
            wait = min(_RETRY_CAP_MS, _RETRY_MS * 2 ** min(self._store_failures - 1, 16))
            self._retry_at_ms = self.clock.now_ms() + wait
            return self._hold(outs)
        if self._store_failures:
            self._store_failures = 0
            self.faults.recovered("signal storage")
        self.stored += len(fresh)
        if len(fresh) < len(outs):  # seen before (events replayed after a restart)
            self.duplicates += len(outs) - len(fresh)
            outs = [o for o in outs if o.signal.id in fresh]
        return outs

    def _hold(self, outs: list[CoreOutput]) -> list[CoreOutput]:
        if len(outs) > HOLD_SIGNALS:
            lost = len(outs) - HOLD_SIGNALS
            self.unstored_lost += lost
            _log.error("signals dropped: the database refused them too long", lost=lost)
            outs = outs[-HOLD_SIGNALS:]
        self._held = outs
        return []

    # --- the loop ------------------------------------------------------------------------------

    async def run(self, source: EventSource) -> None:
        """Until the source is exhausted or ``stop()``: step, deliver, keep house. What the
        window still holds is run and delivered at the end, whatever ended the loop."""
        failures = 0
        try:
            while not self._stop.is_set():
                try:
                    if not await self._once(source):
                        break
                except Exception as exc:  # a step that raises loses its batch, not the loop
                    failures += 1
                    self.faults.failed("engine step", exc)
                    await asyncio.sleep(min(1.0, 0.01 * 2 ** min(failures, 10)))
                    continue
                if failures:
                    failures = 0
                    self.faults.recovered("engine step")
        finally:
            await self._finish(source)

    async def _once(self, source: EventSource) -> bool:
        """One step of the loop; False when the source is exhausted."""
        items = await source.next()
        if items is None:
            return False
        if source.timed:
            await self._timed(items)
            now = self.clock.now_ms()
        else:
            mark = source.drained
            now = self.clock.now_ms()
            await self.deliver(self.step(items, now))  # type: ignore[arg-type]
            if not self._held:
                # only what is stored is done: a relay acknowledges up to these marks, and
                # a crash while signals are held must find their events unacknowledged
                self.done_through_ms = now - self.reorder.window_ms
                self.done_drained = mark
        await self._keep_house(now)
        return True

    async def _timed(self, items: Sequence[MarketEvent | Asset]) -> None:
        i = 0
        while i < len(items):
            outs, i = self.step_timed(items, i)
            await self.deliver(outs)

    async def _keep_house(self, now: int) -> None:
        if self.execution is not None:
            await self.execution.tick(now)
        if self.recorder is not None:
            self.recorder.tick()

    async def _finish(self, source: EventSource) -> None:
        try:
            rest = source.remaining()
            if source.timed:
                await self._timed(rest)
            else:
                await self.deliver(self.step(rest, self.clock.now_ms()))  # type: ignore[arg-type]
            await self.deliver(self.flush())
            if self._held:
                self._retry_at_ms = 0  # one last attempt
                await self.deliver([])
            if self._held:
                self.unstored_lost += len(self._held)
                _log.error("shutdown: signals the database refused", lost=len(self._held))
            if self.execution is not None:
                await self.execution.tick(self.clock.now_ms(), final=True)
        except Exception:
            _log.exception("engine: could not deliver the last batch")
        finally:
            if self.recorder is not None:
                with contextlib.suppress(Exception):
                    self.recorder.close()

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()
