"""The engine loop never dies silently: a database that refuses writes (a full disk)
holds the signals, counts, turns the engine's light red and, once space returns, stores
and offers every held signal; a step that raises is counted and the loop goes on."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from dexcex.core import CoreOutput
from dexcex.domain import HealthState, ManualClock, MarketEvent
from dexcex.pipeline.bus import MarketBus
from dexcex.pipeline.engine import Engine
from dexcex.pipeline.sources import BusSource
from dexcex.store import Database
from tests.api.test_api import approve
from tests.execution.test_journal import _fill_the_disk
from tests.factories import T0, make_book, make_signal
from tests.waiting import until


class OneSignalPerBook:
    """A core that answers every event with a new signal (or raises, when told to)."""

    def __init__(self) -> None:
        self.n = 0
        self.fail = False

    def on_event(self, ev: MarketEvent) -> CoreOutput | None:
        if self.fail:
            raise RuntimeError("a bug in the core")
        self.n += 1
        sig = make_signal(self.n, ts=ev.ts_event)
        return CoreOutput(sig, approve(sig.id))

    def add_asset(self, _asset: Any) -> None:
        return None


class Offered:
    def __init__(self) -> None:
        self.ids: list[str] = []

    async def offer(self, out: CoreOutput) -> None:
        self.ids.append(out.signal.id)

    async def tick(self, now_ms: int, *, final: bool = False) -> None:
        return None


async def test_a_full_disk_holds_signals_shows_red_and_recovers(tmp_path: Path) -> None:
    db = Database.open(f"sqlite:///{tmp_path / 'full.sqlite3'}", migrate=True)
    clock = ManualClock(T0)
    core = OneSignalPerBook()
    offered = Offered()
    engine = Engine(core, clock, reorder_ms=0, store=db.signals, execution=offered)  # type: ignore[arg-type]
    bus = MarketBus(10_000)
    task = asyncio.create_task(engine.run(BusSource(bus, idle_s=0.01)))
    full = [True]
    _fill_the_disk(db, full)
    for i in range(200):
        bus.publish(make_book(ts=T0 + i))
    clock.set(T0 + 1_000)
    await until(lambda: engine.events >= 200, what="events go on while the disk is full")
    await until(lambda: engine.faults.counts["signal storage"] >= 1)
    assert engine.faults.health().state is HealthState.DOWN
    # nothing is executed before it is stored (each event's signals are stored as it runs:
    # the first few still fitted in the file's free pages)
    assert len(offered.ids) == db.signals.count() < 200
    full[0] = False
    db.engine.dispose()
    clock.advance(60_000)  # past the retry delay
    bus.publish(make_book(ts=clock.now_ms() - 1))
    await until(lambda: len(offered.ids) == 201, what="held signals stored and offered")
    assert engine.faults.health().state is HealthState.OK
    assert len(set(offered.ids)) == 201 and engine.unstored_lost == 0
    assert db.signals.count() == 201
    core.fail = True
    bus.publish(make_book(ts=clock.now_ms()))
    await until(lambda: engine.faults.counts["engine step"] >= 1)
    core.fail = False
    bus.publish(make_book(ts=clock.now_ms() + 1))
    clock.advance(10)
    await until(lambda: engine.faults.health().state is HealthState.OK, what="the loop goes on")
    assert not task.done()
    engine.stop()
    await task
    db.close()
