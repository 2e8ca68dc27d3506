"""The engine role's composition root: what ``dexcex run`` (one process, or the engine of
a scaled-out deployment) and ``dexcex record`` start.

It wires, and nothing else does: the connectors and their supervised streams feeding a
bounded bus (role ``all``) or a Redis consumer filling it (role ``engine``); the one
engine (reorder window → core → storage → execution → subscribers); paper or live
execution with its ledger, which risk decides on, and the kill switch; data accuracy,
metrics and alerts; once a second, failover, health samples and retention; and, when
served, the page. Only the wall clock and the event source differ from a replay.

Two clocks: ``clock``, the wall (the simulator's market clock in a demo), stamps what
arrives and runs what is measured or kept on a cadence (health, alerts, failover, the
journal's writes, retention, live orders); ``event_clock``, the engine's, is moved by the
stamps of the events it processes (``pipeline.engine``), and the core, paper execution,
the labeller, the accuracy monitor and the auto-trading gate read it — so the run's
signals, paper trades and outcomes are what a replay of its recording gives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from dexcex.aio import cancel_all
from dexcex.config import Settings
from dexcex.core import Core, CoreOutput
from dexcex.domain import Clock, ConfigError, FailoverEvent, ManualClock, SourceHealth, VenueId
from dexcex.execution.executor import Executor, PaperExecutor
from dexcex.execution.journal import Journal
from dexcex.execution.kill_switch import KillSwitch
from dexcex.execution.live import LiveTrader
from dexcex.execution.live_executor import LiveExecutor
from dexcex.execution.paper import Execution, PaperBroker
from dexcex.execution.service import ExecutionService, FlushPolicy
from dexcex.logs import get_logger
from dexcex.models.loading import Served, attach_models
from dexcex.monitor.accuracy import AccuracyMonitor, AccuracySettings
from dexcex.monitor.alerts import AlertService
from dexcex.monitor.metrics import Metrics, MetricSources
from dexcex.pipeline.bus import ControlChannel, MarketBus
from dexcex.pipeline.engine import Engine
from dexcex.pipeline.faults import Faults
from dexcex.pipeline.housekeeping import Housekeeping, RemoteHealth
from dexcex.pipeline.recording import RecordWriter
from dexcex.pipeline.redisbus import RedisConsumer
from dexcex.pipeline.sources import BusSource
from dexcex.roots.connectors import Connectors
from dexcex.roots.monitoring import risk_alerts, spawn_alerts
from dexcex.store import Database

__all__ = ["Pipeline"]

_log = get_logger("dexcex.pipeline")


@dataclass
class Pipeline:
    settings: Settings
    clock: Clock
    with_core: bool = True
    db: Database | None = None
    record: bool = False
    sim: Any = None  # the simulated world this run is connected to, if any
    # all: streams + engine in this process; engine: Redis → core, storage, execution
    role: Literal["all", "engine"] = "all"
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        s = self.settings
        p = s.pipeline
        assets = s.domain_assets()
        self.event_clock = ManualClock(0)  # the engine's: the stamps of what it processes
        self.connectors = Connectors(s, self.clock) if self.role == "all" else None
        self.bus = MarketBus(p.market_queue)
        self.consumer: RedisConsumer | None = None
        primary = self.connectors.primary if self.connectors else s.venues.primary
        self.core = (
            Core(assets, s.core, self.event_clock, venue=primary) if self.with_core else None
        )
        recorder = (
            RecordWriter(s.recordings_dir(), assets, self.clock, flush_ms=p.record_flush_ms)
            if self.record
            else None
        )
        self.faults = Faults()  # the engine's light: its tasks and its storage
        self.execution = self._execution() if self.core and self.db else None
        self.engine = Engine(
            self.core,
            self.event_clock,
            wall=self.clock,
            reorder_ms=p.reorder_ms,
            store=self.db.signals if self.db is not None else None,
            recorder=recorder,
            execution=self.execution,
            faults=self.faults,
        )
        if self.execution is not None:
            self.engine.listeners.append(self.execution.on_event)
        if self.connectors is not None:
            self.engine.listeners.append(self.connectors.book_check.observe)
            if recorder is not None and p.record_raw:
                self.connectors.tap_raw(recorder)
        self.remote = RemoteHealth(self.clock, lambda: self.consumer and self.consumer.redis)
        self._monitoring()
        self.housekeeping = Housekeeping(
            s,
            self.db,
            self.router,
            self.health,
            self._switch_venue,
            self.clock,
            self._share_health if self.role == "engine" else None,
        )

    # --- execution -----------------------------------------------------------------------------

    def _execution(self) -> ExecutionService:
        s, db, core = self.settings, self.db, self.core
        assert db is not None and core is not None
        live = s.live.enabled
        if live and self.router is None:
            raise ConfigError("live trading needs MEXC and Bybit both enabled (failover)")
        return ExecutionService(
            s,
            self._execution_clock,
            Journal(db),
            self._live_executor if live else self._paper_executor,
            auto=s.live.auto_execute if live else s.execution.auto_mode() != "off",
            kill_switch=KillSwitch(db.state),
            risk=core,
            flush=FlushPolicy(self.clock, 1000),  # written every second of wall time
            faults=self.faults,
            # paper: at a clean stop the horizons that can no longer elapse are closed
            # with their reason, as at the end of a replay of this run's recording
            finish_labels=not live,
        )

    @property
    def _execution_clock(self) -> Clock:
        """Paper trades on the events' time (a replay trades the same); live orders, their
        expiry and the day's P/L on the wall's."""
        return self.clock if self.settings.live.enabled else self.event_clock

    def _paper_executor(self, ex: ExecutionService) -> Executor:
        s = self.settings
        fees = {v: s.venues.get(v).taker_fee_bps for v in VenueId}

        def broker(sink: Callable[[Execution], None]) -> PaperBroker:
            return PaperBroker(s.execution, fees, self.event_clock, sink)

        return PaperExecutor(
            broker, ex.on_execution, ex.on_order, ex.on_fill, store=ex.store_intent
        )

    def _live_executor(self, ex: ExecutionService) -> Executor:
        assert self.router is not None and self.db is not None
        trader = LiveTrader(
            self.settings,
            self.router,
            self.db,
            self.clock,
            on_order=ex.on_order,
            on_fill=ex.on_fill,
        )
        return LiveExecutor(trader, ex.spawn)

    # --- monitoring ----------------------------------------------------------------------------

    def _monitoring(self) -> None:
        """Data accuracy, metrics and alerts, wired to the engine."""
        s = self.settings
        self.accuracy: AccuracyMonitor | None = None
        if self.core is not None:
            core = self.core
            a = s.accuracy
            self.accuracy = AccuracyMonitor(
                self.event_clock,
                lambda v, sym: core.asset_of_market(VenueId(v), sym),
                AccuracySettings(min_share=a.min_share, window=a.window, min_samples=a.min_samples),
            )
            self.engine.listeners.append(self.accuracy.observe)
            self.engine.exclusion = self.accuracy
            if self.connectors is not None:
                self.connectors.book_check.on_result.append(self.accuracy.book_check)
        self.metrics = Metrics()
        self.alerts = (
            AlertService(s.alerts, self.clock, self.health, db=self.db)
            if s.alerts.enabled
            else None
        )
        if self.alerts is not None:
            alerts = self.alerts
            alerts.watch_failovers(self.failovers)
            self.engine.on_delivered.append(lambda outs, _now: risk_alerts(alerts, outs))
            if self.accuracy is not None:
                self.accuracy.on_change.append(
                    lambda src, excluded, share: spawn_alerts(
                        alerts, alerts.engine.accuracy(src, excluded, share)
                    )
                )
        self.engine.on_delivered.append(self.metrics.delivered)
        if self.execution is not None:
            self.execution.listeners.append(self.metrics.on_order)
        self.served = self._models()

    def _models(self) -> Served | None:
        """The registry's active and shadow models into the core, the gate before execution."""
        if self.core is None or self.db is None:
            return None
        alerts = self.alerts

        def alert(on: bool, message: str) -> None:
            if alerts is not None:
                spawn_alerts(alerts, alerts.engine.model_drift(on, message))

        return attach_models(
            self.settings,
            self.core,
            self.execution,
            self.db,
            self._execution_clock.now_ms,
            alert,
        )

    def metric_sources(self) -> MetricSources:
        c = self.connectors
        return MetricSources(
            trackers=c.trackers() if c else [],
            venue_trackers={v.value: x.tracker for v, x in c.venues.items()} if c else {},
            streams=c.supervisor.status.values if c else (lambda: ()),
            engine=self.engine,
            bus=self.bus,
            accuracy=self.accuracy,
            execution=self.execution,
            open_alerts=self._open_alerts if self.alerts else None,
            failures=lambda: self.faults.counts,
            drift=self.served.gate if self.served is not None else None,
        )

    def _open_alerts(self) -> int:
        return len(self.alerts.open) if self.alerts is not None else 0

    # --- what the connectors hold (empty in the engine role) ------------------------------------

    @property
    def venues(self) -> dict[VenueId, Any]:
        return self.connectors.venues if self.connectors else {}

    @property
    def birdeye(self) -> Any:
        return self.connectors.birdeye if self.connectors else None

    @property
    def dexscreener(self) -> Any:
        return self.connectors.dexscreener if self.connectors else None

    @property
    def router(self) -> Any:
        return self.connectors.router if self.connectors else None

    @property
    def failovers(self) -> list[FailoverEvent]:
        return self.connectors.failovers if self.connectors else []

    @property
    def supervisor(self) -> Any:
        return self.connectors.supervisor if self.connectors else None

    @property
    def recorder(self) -> RecordWriter | None:
        return self.engine.recorder

    def subscribe(self) -> ControlChannel[CoreOutput]:
        """Signals with their risk decisions, after they are stored."""
        return self.engine.subscribe(self.settings.pipeline.control_queue)

    def health(self) -> list[SourceHealth]:
        """Every connector's and every stream's health, now (the engine role: what the
        collectors last published, per shard)."""
        own = [self.faults.health(self.clock.now_ms())]
        if self.connectors is None:
            return list(self.remote.latest) + own
        return self.connectors.health() + own

    def _switch_venue(self, venue: VenueId) -> None:
        if self.core is not None:
            self.core.set_active_venue(venue)

    async def _share_health(self) -> None:
        await self.remote.share(self.health)

    # --- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        if self.role == "engine":
            b = self.settings.bus
            eng = self.engine
            self.consumer = RedisConsumer(
                b.redis_url,
                b.stream,
                b.group,
                b.consumer,
                self.bus,
                lambda: (eng.done_drained, eng.done_through_ms),
                clock=self.clock,
                on_latency=lambda ms: self.metrics.bus_latency.observe(ms / 1000),
            )
            await self.consumer.start()
        elif self.connectors is not None:
            self.connectors.add_streams(self.bus.publish)
        self.metrics.bind(self.metric_sources())
        if self.alerts is not None:
            await self.alerts.start()
        if self.execution is not None:
            await self.execution.start()
        self._tasks = [
            asyncio.create_task(self.engine.run(BusSource(self.bus)), name="engine"),
            asyncio.create_task(self.housekeeping.run(), name="housekeeping"),
        ]
        for t in self._tasks:
            t.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        """A task that ends before ``stop`` asks it to: never silent."""
        if task.cancelled() or (task.exception() is None and self.engine.stopping):
            return
        self.faults.failed(task.get_name(), task.exception() or "ended by itself")

    async def stop(self) -> None:
        """Streams first, then the engine drains what is left; connections closed. Copes
        with a start cut short (a stop signal during start-up)."""
        if self.connectors is not None:
            _log.info("stopping: streams")
            await self.connectors.supervisor.stop()
        if self.consumer is not None:
            _log.info("stopping: consumer")
            await self.consumer.stop()
        _log.info("stopping: engine")
        self.engine.stop()
        await cancel_all(t for t in self._tasks if t.get_name() != "engine")
        for t in self._tasks:
            if t.get_name() == "engine":
                await t  # its last batch is stored: never cut short
        if self.execution is not None:
            _log.info("stopping: execution")
            await self.execution.stop()
        if self.alerts is not None:
            _log.info("stopping: alerts")
            await self.alerts.stop()
        _log.info("stopping: connections")
        if self.connectors is not None:
            await self.connectors.close()
