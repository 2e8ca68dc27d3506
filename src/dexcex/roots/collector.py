"""The collector role's composition root: its shard's connectors and supervised streams
publishing every event into a Redis stream, its health published under its shard, and
its own ``/metrics`` when asked for. No core, no database: the engine does the rest."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from dexcex.aio import cancel_all
from dexcex.config import Settings
from dexcex.domain import Clock, SourceHealth
from dexcex.logs import get_logger
from dexcex.monitor.metrics import Metrics, MetricSources
from dexcex.pipeline.housekeeping import RemoteHealth
from dexcex.pipeline.redisbus import RedisPublisher
from dexcex.roots.connectors import Connectors

__all__ = ["Collector"]

_log = get_logger("dexcex.pipeline")


@dataclass
class Collector:
    settings: Settings
    clock: Clock
    role: str = "collector"
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        s = self.settings
        self.connectors = Connectors(s, self.clock)
        self.publisher = RedisPublisher(s.bus.redis_url, s.bus.stream, maxlen=s.bus.maxlen)
        self.remote = RemoteHealth(self.clock, lambda: self.publisher.redis, shard=s.bus.shard)
        self.metrics = Metrics()
        c = self.connectors
        self.metrics.bind(
            MetricSources(
                trackers=c.trackers(),
                venue_trackers={v.value: x.tracker for v, x in c.venues.items()},
                streams=c.supervisor.status.values,
            )
        )

    def health(self) -> list[SourceHealth]:
        return self.connectors.health()

    async def start(self) -> None:
        await self.publisher.start()
        self.connectors.add_streams(self.publisher.publish)
        self._tasks = [asyncio.create_task(self._share(), name="collector-health")]

    async def _share(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            await self.remote.share(self.health)

    async def stop(self) -> None:
        _log.info("stopping: streams")
        await self.connectors.supervisor.stop()
        await cancel_all(self._tasks)
        _log.info("stopping: publisher")
        await self.publisher.stop()  # what the streams emitted reaches Redis
        _log.info("stopping: connections")
        await self.connectors.close()
