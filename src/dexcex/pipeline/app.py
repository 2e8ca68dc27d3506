"""One running engine: connectors, supervised streams, bus, core, storage, recorder.

``Pipeline`` is what ``dexcex run`` (and ``record``, and the page's server) start. It
builds the connectors from the settings — pointed at the simulator when
``pipeline.market = "sim"`` (``sim_endpoints`` rewrites the URLs and uses the
simulator's account) — adds one supervised stream per connection, runs the engine loop,
assesses venue failover once a second (the core signals for the active venue) and
samples every stream's health into the database.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec
from pydantic import SecretStr
from redis.exceptions import RedisError

from dexcex.aio import cancel_all
from dexcex.config import Settings
from dexcex.core import Core, CoreOutput
from dexcex.domain import (
    AuthError,
    Clock,
    FailoverEvent,
    HealthState,
    MarketEvent,
    SourceHealth,
    TradingMode,
    VenueId,
)
from dexcex.execution.service import ExecutionService
from dexcex.logs import get_logger
from dexcex.monitor.accuracy import AccuracyMonitor, AccuracySettings
from dexcex.monitor.alerts import AlertEvent, AlertService
from dexcex.monitor.metrics import Metrics
from dexcex.pipeline.backoff import Backoff
from dexcex.pipeline.bus import ControlChannel, MarketBus
from dexcex.pipeline.engine import Engine
from dexcex.pipeline.recording import RecordWriter
from dexcex.pipeline.redisbus import RedisConsumer, RedisPublisher, publish_health, read_health
from dexcex.pipeline.streams import BookCheck, book_stream, dex_streams, trade_stream
from dexcex.pipeline.supervisor import Supervisor
from dexcex.sources.birdeye.client import BirdeyeSource
from dexcex.sources.dexscreener.client import DexScreenerSource
from dexcex.sources.index import AssetIndex
from dexcex.store import Database
from dexcex.venues.ccxt_venue import CcxtVenue
from dexcex.venues.registry import make_venue
from dexcex.venues.router import VenueRouter

__all__ = ["Pipeline", "sim_endpoints"]

_log = get_logger("dexcex.pipeline")


def sim_endpoints(settings: Settings, urls: dict[str, str], key: str, secret: str) -> Settings:
    """The same settings with every connector pointed at a running simulator."""
    venues = settings.venues.model_copy(
        update={
            v.value: settings.venues.get(v).model_copy(
                update={
                    "rest_url": urls[f"{v.value}_rest"],
                    "ws_url": urls[f"{v.value}_ws"],
                    "api_key": SecretStr(key),
                    "api_secret": SecretStr(secret),
                    "ccxt_throttle": False,
                }
            )
            for v in VenueId
        }
    )
    sources = settings.sources.model_copy(
        update={
            "birdeye": settings.sources.birdeye.model_copy(
                update={
                    "rest_url": urls["birdeye_rest"],
                    "ws_url": urls["birdeye_ws"],
                    "api_key": SecretStr(key),
                }
            ),
            "dexscreener": settings.sources.dexscreener.model_copy(
                update={"rest_url": urls["dexscreener_rest"]}
            ),
        }
    )
    return settings.model_copy(update={"venues": venues, "sources": sources})


@dataclass
class Pipeline:
    settings: Settings
    clock: Clock
    with_core: bool = True
    db: Database | None = None
    record: bool = False
    venues: dict[VenueId, CcxtVenue] = field(default_factory=dict)
    birdeye: BirdeyeSource | None = None
    dexscreener: DexScreenerSource | None = None
    failovers: list[FailoverEvent] = field(default_factory=list)
    sim: Any = None  # the simulated world this run is connected to, if any
    # all: streams + engine in this process; collector: streams → Redis; engine: Redis →
    # core, storage, execution (the page comes with it)
    role: Literal["all", "collector", "engine"] = "all"

    def __post_init__(self) -> None:
        s = self.settings
        p = s.pipeline
        assets = s.domain_assets()
        self.index = AssetIndex(assets)
        mode = TradingMode.LIVE if s.live.enabled else TradingMode.PAPER
        for vid in VenueId:
            if s.venues.get(vid).enabled:
                self.venues[vid] = make_venue(vid, s, self.clock, mode)
        if s.sources.birdeye.enabled:
            try:
                self.birdeye = BirdeyeSource(s.sources.birdeye, self.index, self.clock)
            except AuthError as exc:
                _log.warning("birdeye disabled", reason=str(exc))
        if s.sources.dexscreener.enabled:
            self.dexscreener = DexScreenerSource(s.sources.dexscreener, self.index, self.clock)
        if self.role == "collector":
            self.with_core = False
            self.db = None
        self.bus = MarketBus(p.market_queue)
        self.publisher: RedisPublisher | None = None
        self.consumer: RedisConsumer | None = None
        if self.role == "collector":
            self.publisher = RedisPublisher(s.bus.redis_url, s.bus.stream, maxlen=s.bus.maxlen)
        self.supervisor = Supervisor(
            self.clock,
            Backoff(p.backoff_initial_s, p.backoff_max_s),
            down_after=p.down_after_failures,
        )
        primary = s.venues.primary if s.venues.primary in self.venues else next(iter(self.venues))
        self.router = (
            VenueRouter(self.venues, primary, self.clock, on_switch=self.failovers.append)
            if len(self.venues) == 2
            else None
        )
        self.core = Core(assets, s.core, self.clock, venue=primary) if self.with_core else None
        recorder = (
            RecordWriter(s.recordings_dir(), assets, self.clock, flush_ms=p.record_flush_ms)
            if self.record
            else None
        )
        self.engine = Engine(
            self.core,
            self.bus,
            self.clock,
            reorder_ms=p.reorder_ms,
            db=self.db,
            recorder=recorder,
        )
        self.execution = (
            ExecutionService(s, self.engine, self.db, self.clock, self.router)
            if self.with_core and self.db is not None
            else None
        )
        self.book_check = BookCheck(
            list(self.venues.values()), self.clock, p.book_check_s, p.book_check_tolerance_bps
        )
        self.engine.on_event.append(self.book_check.observe)
        self._monitoring()
        if recorder is not None and p.record_raw:
            self._raw_taps(recorder)
        self._tasks: list[asyncio.Task[None]] = []
        self._background: set[asyncio.Task[None]] = set()
        self._remote_health: list[SourceHealth] = []
        self._remote_seen: dict[str, SourceHealth] = {}

    def _monitoring(self) -> None:
        """Data accuracy, metrics and alerts, wired to the engine."""
        s = self.settings
        self.accuracy: AccuracyMonitor | None = None
        if self.core is not None:
            core = self.core
            a = s.accuracy
            self.accuracy = AccuracyMonitor(
                self.clock,
                lambda v, sym: core.asset_of_market(VenueId(v), sym),
                AccuracySettings(min_share=a.min_share, window=a.window, min_samples=a.min_samples),
            )
            self.engine.on_event.append(self.accuracy.observe)
            self.engine.excluded_sources = self.accuracy.excluded  # the same set, live
            self.book_check.on_result.append(self.accuracy.book_check)
        self.metrics = Metrics()
        self.alerts = (
            AlertService(s.alerts, self.clock, self.health, db=self.db)
            if s.alerts.enabled
            else None
        )
        if self.alerts is not None:
            self.alerts.watch_failovers(self.failovers)
            self.metrics.extra["alerts"] = self.alerts
            self.engine.on_delivered.append(self._risk_alerts)
            if self.accuracy is not None:
                self.accuracy.on_change.append(self._accuracy_alert)

    def _raw_taps(self, recorder: RecordWriter) -> None:
        recorder.keep_raw()
        for venue in self.venues.values():
            venue.set_raw_tap(recorder.write_raw)
        if self.birdeye is not None:
            self.birdeye.raw_tap = recorder.write_raw
            self.birdeye.http.raw_tap = recorder.write_raw
        if self.dexscreener is not None:
            self.dexscreener.http.raw_tap = recorder.write_raw

    @property
    def recorder(self) -> RecordWriter | None:
        return self.engine.recorder

    def subscribe(self) -> ControlChannel[CoreOutput]:
        """Signals with their risk decisions, after they are stored."""
        return self.engine.subscribe(self.settings.pipeline.control_queue)

    async def start(self) -> None:
        publish = self.bus.publish
        if self.publisher is not None:
            await self.publisher.start()
            publish = self.publisher.publish
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
        else:
            self._add_streams(publish)
        self.metrics.bind(self)
        if self.alerts is not None and self.role != "collector":
            await self.alerts.start()
        if self.execution is not None:
            await self.execution.start()
        self._tasks = [
            asyncio.create_task(self.engine.run(), name="engine"),
            asyncio.create_task(self._housekeeping(), name="housekeeping"),
        ]

    def _add_streams(self, publish: Callable[[MarketEvent], None]) -> None:
        p = self.settings.pipeline
        for venue in self.venues.values():
            for m in venue.markets:
                self.supervisor.add(book_stream(venue, m.symbol, p.stale_book_s), publish)
                self.supervisor.add(trade_stream(venue, m.symbol, p.stale_trades_s), publish)
        for spec in dex_streams(self.birdeye, self.dexscreener, stale_ws_s=p.stale_dex_ws_s):
            self.supervisor.add(spec, publish)
        if p.book_check_s > 0 and self.venues:
            self.supervisor.add(self.book_check.spec(), publish)

    async def stop(self) -> None:
        """Streams first, then the engine drains what is left; connections closed."""
        _log.info("stopping: streams")
        await self.supervisor.stop()
        if self.publisher is not None:
            _log.info("stopping: publisher")
            await self.publisher.stop()  # what the streams emitted reaches Redis
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
        for venue in self.venues.values():
            with contextlib.suppress(Exception):
                await venue.close()
        for src in (self.birdeye, self.dexscreener):
            if src is not None:
                with contextlib.suppress(Exception):
                    await src.close()

    def _accuracy_alert(self, source: str, excluded: bool, share: float) -> None:
        assert self.alerts is not None
        if excluded:
            _log.warning("source excluded: its prices disagree", source=source, share=share)
        else:
            _log.info("source back: its prices agree again", source=source, share=share)
        self._spawn_alerts(self.alerts.engine.accuracy(source, excluded, share))

    def _spawn_alerts(self, events: list[AlertEvent]) -> None:
        if not events or self.alerts is None:
            return
        task = asyncio.get_running_loop().create_task(self.alerts.deliver(events))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _risk_alerts(self, outs: list[CoreOutput], _now: int) -> None:
        assert self.alerts is not None
        events = []
        for out in outs:
            reasons = out.decision.reasons
            if any(r == "kill switch on" for r in reasons):
                events += self.alerts.engine.kill_switch(True)
            limit = next((r for r in reasons if "exposure " in r or "hit the limit" in r), None)
            if limit is not None and not out.decision.approved:
                events += self.alerts.engine.risk_limit(out.signal.asset_id, limit)
        self._spawn_alerts(events)

    def health(self) -> list[SourceHealth]:
        """Every connector's and every stream's health, now (the engine role: what the
        collectors last published, per shard)."""
        if self.role == "engine":
            return list(self._remote_health)
        out = [v.health() for v in self.venues.values()]
        out += [src.health() for src in (self.birdeye, self.dexscreener) if src is not None]
        return out + self.supervisor.health()

    async def _share_health(self) -> None:
        try:
            if self.publisher is not None:
                await publish_health(self.publisher.redis, self.settings.bus.shard, self.health())
            elif self.consumer is not None and self.consumer.redis is not None:
                fresh = {h.source: h for h in await read_health(self.consumer.redis)}
                now = self.clock.now_ms()
                for name, last in self._remote_seen.items():
                    if name not in fresh:  # its collector stopped reporting: down
                        fresh[name] = msgspec.structs.replace(
                            last,
                            state=HealthState.DOWN,
                            connected=False,
                            ts=now,
                            detail="no report from its collector",
                        )
                self._remote_seen = fresh
                self._remote_health = list(fresh.values())
        except (RedisError, OSError) as exc:
            _log.warning("could not share health through redis", error=str(exc))

    async def _housekeeping(self) -> None:
        p = self.settings.pipeline
        loop = asyncio.get_running_loop()
        next_health = loop.time() + p.health_every_s
        next_prune = loop.time()  # once at start, then every store.prune_every_s
        while True:
            await asyncio.sleep(1.0)
            await self._share_health()
            switched = self.router is not None and self.router.assess() is not None
            if switched and self.router is not None and self.core is not None:
                self.core.set_active_venue(self.router.active)
            if self.db is not None and loop.time() >= next_health:
                next_health = loop.time() + p.health_every_s
                samples = self.health()
                try:
                    await asyncio.to_thread(self.db.health.add, samples)
                except Exception:
                    _log.exception("could not store health samples")
            if self.db is not None and loop.time() >= next_prune:
                next_prune = loop.time() + self.settings.store.prune_every_s
                await self._prune()

    async def _prune(self) -> None:
        assert self.db is not None
        st = self.settings.store
        try:
            done = await asyncio.to_thread(
                self.db.prune,
                self.clock.now_ms(),
                signals_days=st.retention_signals_days,
                health_days=st.retention_health_days,
            )
        except Exception:
            _log.exception("retention: could not prune")
            return
        for r in done:
            if r.rows or r.partitions:
                _log.info(
                    "retention",
                    table=r.table,
                    rows=r.rows,
                    partitions=r.partitions,
                    before_ms=r.cutoff_ms,
                )
