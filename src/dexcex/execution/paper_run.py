"""``dexcex paper``: simulator → engine → core → paper execution → labeling, in virtual
time, as fast as the machine goes.

The simulated market is stepped a second at a time; its events become domain events
(``sim.convert``), go through the same ``Engine`` as a live run (reorder window, core),
and every signal is journaled, paper-traded when approved and tracked by the labeler
until its 60-minute outcome is known. The database it leaves is what ``dataset export``
and ``report`` read. No websockets: virtual time cannot wait for sockets, and the
connectors are tested against the same simulator elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dexcex.config import Settings
from dexcex.core import Core, CoreOutput
from dexcex.domain import Asset, ManualClock, MarketEvent, OrderBook, SignalStatus, VenueId
from dexcex.execution.journal import Journal
from dexcex.execution.paper import PaperBroker
from dexcex.labeling.labeler import Labeler
from dexcex.pipeline.bus import MarketBus
from dexcex.pipeline.engine import Engine
from dexcex.sim.convert import SimToDomain
from dexcex.sim.market.events import Burst, CexMove
from dexcex.sim.scenario import Scenario
from dexcex.sim.world import SimWorld
from dexcex.store import Database

__all__ = ["PaperRunResult", "run_paper"]

_STEP_MS = 1000
_FLUSH_EVERY_MS = 300_000  # journal to the database every 5 virtual minutes


@dataclass
class PaperRunResult:
    events: int = 0
    signals: int = 0
    dex_signals: int = 0
    baseline_signals: int = 0
    approved: int = 0
    orders: int = 0
    labeled: int = 0
    pending_labels: int = 0
    hours: float = 0.0


def run_paper(
    settings: Settings,
    scenario: Scenario,
    hours: float,
    db: Database,
    progress: Callable[[float, PaperRunResult], None] | None = None,
    *,
    settle: bool = True,
) -> PaperRunResult:
    """Run ``hours`` of market time; with ``settle``, one more hour (no new signals are
    traded) so the last signals' 60-minute outcomes are known."""
    return _PaperRun(settings, scenario, db).run(hours, progress, settle=settle)


class _PaperRun:
    def __init__(self, settings: Settings, scenario: Scenario, db: Database) -> None:
        self.scenario = scenario
        self.world = SimWorld(scenario)
        self.clock = ManualClock(scenario.start_ms)
        self.core = Core([], settings.core, self.clock)
        self.journal = Journal(db)
        fees = {v: settings.venues.get(v).taker_fee_bps for v in VenueId}
        self.broker = PaperBroker(settings.execution, fees, self.clock, self.journal.add_execution)
        self.labeler = Labeler(self.journal.add_outcomes)
        self.engine = Engine(
            self.core, MarketBus(1 << 30), self.clock, reorder_ms=settings.pipeline.reorder_ms
        )
        self.engine.on_event.append(self._on_event)
        self.conv = SimToDomain({a.id: a for a in settings.domain_assets()})
        self._raw: list[object] = []
        self.world.market.sinks.append(self._raw.append)
        self.res = PaperRunResult()

    def _on_event(self, ev: MarketEvent) -> None:
        if isinstance(ev, OrderBook):
            self.broker.on_book(ev)
            self.labeler.on_book(ev)

    def run(
        self,
        hours: float,
        progress: Callable[[float, PaperRunResult], None] | None,
        *,
        settle: bool,
    ) -> PaperRunResult:
        start = self.scenario.start_ms
        end = start + int(hours * 3_600_000)
        final = end + (3_600_000 + 180_000 if settle else 0)
        t = start
        next_flush = start + _FLUSH_EVERY_MS
        while t < final:
            t += _STEP_MS
            self._step(t, trading=t <= end)
            if t >= next_flush:
                next_flush += _FLUSH_EVERY_MS
                self._flush(t)
                if progress is not None:
                    progress((t - start) / 3_600_000, self.res)
        self._handle(self.engine.flush(), trading=False)
        self.labeler.finish(final)
        self._flush(final)
        self.res.hours = (final - start) / 3_600_000
        if progress is not None:
            progress(self.res.hours, self.res)
        return self.res

    def _step(self, t: int, *, trading: bool) -> None:
        self.world.market.run_until(t)
        batch: list[MarketEvent] = []
        for sim_ev in self._raw:
            for item in self.conv.convert(sim_ev):
                if isinstance(item, Asset):
                    self.core.add_asset(item)
                elif not isinstance(item, (Burst, CexMove)):
                    batch.append(item)
        self._raw.clear()
        self.clock.set(t)
        self.res.events += len(batch)
        self._handle(self.engine.process(batch, t), trading=trading)

    def _flush(self, t: int) -> None:
        self.journal.flush(t)
        self.res.labeled = self.labeler.labeled
        self.res.pending_labels = self.labeler.pending
        self.res.orders = self.journal.written_orders

    def _handle(self, outs: list[CoreOutput], *, trading: bool) -> None:
        if not outs:
            return
        res = self.res
        self.journal.add_signals(outs)  # stored (at the next flush) before the orders
        for out in outs:
            s = out.signal
            res.signals += 1
            if s.origin == "dex":
                res.dex_signals += 1
            else:
                res.baseline_signals += 1
            self.labeler.track(s)
            if s.status is not SignalStatus.NEW or not out.decision.approved:
                continue
            res.approved += 1
            why = (
                self.broker.refusal(s, out.decision)
                if trading
                else ("the run's last hour only settles outcomes")
            )
            if why is None:
                self.broker.submit(s, out.decision)
            else:
                self.journal.not_traded(s.id, why, s.ts)
