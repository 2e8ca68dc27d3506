"""Once a second beside the engine: venue failover, health samples into the database,
retention, and — scaled out — the health the collectors publish through Redis.

``RemoteHealth`` is the engine role's view of its collectors: what each last reported,
per shard; a collector that stops reporting turns its sources down."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from redis.exceptions import RedisError

from dexcex.config import Settings
from dexcex.domain import Clock, HealthState, SourceHealth, VenueId
from dexcex.logs import get_logger
from dexcex.pipeline.redisbus import publish_health, read_health
from dexcex.store import Database
from dexcex.venues.router import VenueRouter

__all__ = ["Housekeeping", "RemoteHealth"]

_log = get_logger("dexcex.pipeline")


@dataclass
class RemoteHealth:
    """The collectors' last reports (engine role), or this collector's own (collector)."""

    clock: Clock
    redis: Callable[[], Any]  # the Redis client once connected (None before)
    shard: str | None = None  # set: publish this process's health under its shard
    latest: list[SourceHealth] = field(default_factory=list)
    _seen: dict[str, SourceHealth] = field(default_factory=dict)

    async def share(self, own: Callable[[], list[SourceHealth]]) -> None:
        redis = self.redis()
        if redis is None:
            return
        try:
            if self.shard is not None:
                await publish_health(redis, self.shard, own())
                return
            fresh = {h.source: h for h in await read_health(redis)}
            now = self.clock.now_ms()
            for name, last in self._seen.items():
                if name not in fresh:  # its collector stopped reporting: down
                    fresh[name] = msgspec.structs.replace(
                        last,
                        state=HealthState.DOWN,
                        connected=False,
                        ts=now,
                        detail="no report from its collector",
                    )
            self._seen = fresh
            self.latest = list(fresh.values())
        except (RedisError, OSError) as exc:
            _log.warning("could not share health through redis", error=str(exc))


@dataclass
class Housekeeping:
    settings: Settings
    db: Database | None
    router: VenueRouter | None
    health: Callable[[], list[SourceHealth]]
    on_switch: Callable[[VenueId], None]  # the active venue changed (the core follows)
    clock: Clock
    share: Callable[[], Awaitable[None]] | None = None

    async def run(self) -> None:
        p = self.settings.pipeline
        loop = asyncio.get_running_loop()
        next_health = loop.time() + p.health_every_s
        next_prune = loop.time()  # once at start, then every store.prune_every_s
        while True:
            await asyncio.sleep(1.0)
            if self.share is not None:
                await self.share()
            if self.router is not None and self.router.assess() is not None:
                self.on_switch(self.router.active)
            if self.db is not None and loop.time() >= next_health:
                next_health = loop.time() + p.health_every_s
                try:
                    await asyncio.to_thread(self.db.health.add, self.health())
                except Exception:
                    _log.exception("could not store health samples")
            if self.db is not None and loop.time() >= next_prune:
                next_prune = loop.time() + self.settings.store.prune_every_s
                await self._prune(self.db)

    async def _prune(self, db: Database) -> None:
        st = self.settings.store
        try:
            done = await asyncio.to_thread(
                db.prune,
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
