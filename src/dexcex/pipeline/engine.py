"""The one engine: every run — live, demo, replay, evaluation, paper — is this loop.

A shell (``dexcex.roots``) chooses three things and hands them to it:

* a **wall clock** — the system's (live), the simulator's market clock (demo), or, in
  virtual time (replay, evaluate, paper), none: the events' own clock stands in;
* an **event source** (``pipeline.sources``) — the market bus the supervised streams
  feed, recorder files, readers of recorded data, or the simulator stepped in virtual
  time;
* an **executor**, inside the ``ExecutionService`` — the paper broker or the live trader.

**Time is the events' own, live too** (as nautilus_trader's ``ts_init``). The engine's
clock (a ``ManualClock``, which the core, paper execution and the labeller read) is moved
only by the stamps the recorder writes: an arrival sets it to the event's ``ts_recv``; an
event the reorder window holds is run at its due time, ``ts_event + window`` (at once, at
its arrival, when it came later than that). Whatever is time-driven in the loop — the
window's release, cool-downs and stale checks, expiry, paper fills, labels — is so a
function of the recorded stamps, not of when the loop woke: a replay of a live run's
recording gives its signals, trades and outcomes again. The wall clock only decides
*when* the live loop may release what is due: once a drain has emptied the bus at wall
time W, every event still to come is stamped W or later (stamping and publishing are one
synchronous step of the streams), so everything due by W is run — at its due time, not
at W. What stays wall time is what is measured: each signal's ``ts_wall`` (when the live
engine built it: the per-hop latency), the latency metrics, the storage retry delays.

Each step, in this order:

1. the events are written to the recorder (when recording), as they arrived;
2. they enter the reorder window; what it releases goes, in ``ts_event`` order, to the
   listeners (execution's books: fills, marks and labels; the page's book check, the
   accuracy monitor) and then to the core — unless its source is excluded;
3. each (signal, risk decision) the core returns is **stored first** (one transaction per
   event that produced signals), then offered to execution (labelled from now on; traded
   when approved and automatic), then to the subscribers (the page), through
   never-dropping channels.

Nothing stops the loop silently. Signals the database refuses are held (up to
``HOLD_SIGNALS``) and stored again with a growing delay — offered only once stored; a
step that raises is logged and the loop goes on. Both are counted and turn the engine's
light red (``faults``) until the part works again.

Every source is stepped this way, a batch being only how many events were at hand: the
signals of an event are delivered before the next event runs, so a paper fill walks the
first book after the signal, whatever the batch size.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence

import msgspec

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
_END_MS = 2**62  # past every event: what the window still holds is due


class Engine:
    def __init__(
        self,
        core: Core | None,
        clock: ManualClock,
        *,
        wall: Clock | None = None,
        reorder_ms: int = 250,
        store: SignalStore | None = None,
        recorder: RecordWriter | None = None,
        execution: ExecutionPort | None = None,
        io: Io = threaded,
        faults: Faults | None = None,
    ) -> None:
        self.core = core
        self.faults = faults or Faults()
        self.clock = clock  # the events' time: moved by their stamps only
        # the wall (live): when what is due may be released, and what is measured (None:
        # virtual time, where the events' clock is the only one)
        self.wall: Clock = wall if wall is not None else clock
        self._stamp_wall = wall is not None
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
        """Step ``events`` (arrived by ``now_ms``), each at its own time, then run what is
        due by ``now_ms``; every signal, in order."""
        outs: list[CoreOutput] = []
        i = 0
        while i < len(events):
            got, i = self.step_timed(events, i)
            outs += got
        while got := self._release(now_ms):
            outs += got
        return outs

    def step_timed(
        self, items: Sequence[MarketEvent | Asset], start: int = 0
    ) -> tuple[list[CoreOutput], int]:
        """Step ``items[start:]`` each at its own arrival time (``ts_recv``), until an
        event produces signals. Returns those signals and where to go on from.

        Before an arrival at t, what the window holds that is due by t runs (each at its
        due time); then the clock is set to t and the event is recorded and enters the
        window — and runs at once when it is already due (it came late)."""
        clock = self.clock
        reorder = self.reorder
        window = reorder.window_ms
        recorder = self.recorder
        n = len(items)
        i = start
        while i < n:
            item = items[i]
            if isinstance(item, Asset):
                i += 1
                self.add_asset(item)
                continue
            t = item.ts_recv
            if reorder.pending_before(t - window):
                outs = self._release(t)
                if outs:
                    return outs, i  # this item has not arrived yet: it goes on from here
            clock.set(t)
            if recorder is not None:
                recorder.write(item)
            reorder.push(item)
            i += 1
            if item.ts_event + window <= t:
                outs = self._release(t)
                if outs:
                    return outs, i
        return [], i

    def flush(self) -> list[CoreOutput]:
        """Run everything still in the reorder window, each event at its due time (end of
        a replay; shutdown)."""
        outs: list[CoreOutput] = []
        while got := self._release(_END_MS):
            outs += got
        return outs

    def _release(self, through_ms: int) -> list[CoreOutput]:
        """Run, in ``ts_event`` order, what the window holds that is due by
        ``through_ms``, each at its due time; stops after the first event with signals."""
        reorder = self.reorder
        window = reorder.window_ms
        cutoff = through_ms - window
        clock = self.clock
        pop = reorder.pop_due
        run = self._run
        while (ev := pop(cutoff)) is not None:
            clock.set(ev.ts_event + window)  # (never backwards: a late event runs now)
            outs = run((ev,))
            if outs:
                return outs
        return []

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
        if outs and self._stamp_wall:
            outs = [self._walled(o) for o in outs]
        self.signals += len(outs)
        return outs

    def _walled(self, out: CoreOutput) -> CoreOutput:
        """The signal with the wall time it was built at (what its latency is measured
        from; its ``ts`` is the events' time)."""
        sig = msgspec.structs.replace(out.signal, ts_wall=self.wall.now_ms())
        return CoreOutput(sig, out.decision)

    # --- delivering ----------------------------------------------------------------------------

    async def deliver(self, outs: list[CoreOutput]) -> None:
        """Store, then execute and publish: nothing is shown or traded before it is in the
        database."""
        if self.store is not None:
            outs = await self._store(outs)
        if not outs:
            return
        if self.on_delivered:
            now = self.wall.now_ms()  # latency metrics measure wall time
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
            if self.wall.now_ms() < self._retry_at_ms:
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
            self._retry_at_ms = self.wall.now_ms() + wait
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
        else:
            # read in the same synchronous step as the drain: what has not arrived yet
            # will be stamped at this moment or later
            horizon = self.wall.now_ms() if source.caught_up else None
            mark = source.drained
            await self._timed(items)
            if horizon is not None:
                await self._release_through(horizon)
            if not self._held:
                # only what is stored is done: a relay acknowledges up to these marks, and
                # a crash while signals are held must find their events unacknowledged
                done = horizon if horizon is not None else self.clock.now_ms()
                self.done_through_ms = done - self.reorder.window_ms
                self.done_drained = mark
        await self._keep_house(self.clock.now_ms())
        return True

    async def _timed(self, items: Sequence[MarketEvent | Asset]) -> None:
        i = 0
        while i < len(items):
            outs, i = self.step_timed(items, i)
            await self.deliver(outs)

    async def _release_through(self, through_ms: int) -> None:
        while outs := self._release(through_ms):
            await self.deliver(outs)

    async def _keep_house(self, now: int) -> None:
        if self.execution is not None:
            await self.execution.tick(now)
        if self.recorder is not None:
            self.recorder.tick()

    async def _finish(self, source: EventSource) -> None:
        try:
            await self._timed(source.remaining())
            await self._release_through(_END_MS)
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
