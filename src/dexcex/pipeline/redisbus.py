"""The market bus across processes: Redis Streams.

Collectors publish normalized events to one stream (``XADD``, bounded with
``MAXLEN ~``), in the recorder's encoding (msgspec JSON, tagged by event type). The
engine reads it through a consumer group (``XREADGROUP``) into its in-process bus, with
backpressure: it reads only while that bus has room, so nothing is dropped on the way.

An entry is acknowledged (``XACK``) only once its event has left the in-process bus,
been released by the reorder window, gone through the core, and the signals of that
batch are stored — so an engine that dies loses nothing: on restart it first re-reads
its own pending entries, then claims (``XAUTOCLAIM``) entries another consumer left
pending for longer than ``claim_idle_ms``. Re-processed events can only produce signals
that are already stored (their ids come from the data); the store and the engine drop
them, so a restart duplicates no signal.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from dexcex.aio import finish
from dexcex.domain import MarketEvent, SourceHealth
from dexcex.logs import get_logger
from dexcex.pipeline.bus import MarketBus

__all__ = ["RedisConsumer", "RedisPublisher", "publish_health", "read_health"]

_log = get_logger("dexcex.redisbus")
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(MarketEvent).decode
FIELD = b"e"


class RedisPublisher:
    """Collector side. ``publish`` is synchronous (the streams call it); a task sends
    what accumulated, pipelined, every few milliseconds."""

    def __init__(
        self, url: str, stream: str, *, maxlen: int = 1_000_000, flush_ms: int = 5
    ) -> None:
        self.redis = aioredis.Redis.from_url(url)
        self.stream = stream
        self.maxlen = maxlen
        self.flush_ms = flush_ms
        self._buf: list[bytes] = []
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # stop at this flag, between commands: a redis-py command cancelled mid-read can
        # hang its caller for good
        self._closing = False
        self.published = 0
        self.sent = 0
        self.errors = 0

    def publish(self, ev: MarketEvent) -> None:
        self._buf.append(_encode(ev))
        self.published += 1
        self._ready.set()

    async def start(self) -> None:
        await self.redis.ping()
        self._task = asyncio.create_task(self._run(), name="redis-publisher")

    async def _run(self) -> None:
        while not self._closing:
            await self._ready.wait()
            await asyncio.sleep(self.flush_ms / 1000)
            await self.flush()

    async def flush(self) -> None:
        while self._buf:
            batch, self._buf = self._buf[:2000], self._buf[2000:]
            if not self._buf:
                self._ready.clear()
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    for data in batch:
                        pipe.xadd(self.stream, {FIELD: data}, maxlen=self.maxlen, approximate=True)
                    await pipe.execute()
                self.sent += len(batch)
            except (RedisError, OSError) as exc:
                # keep them: nothing accepted is lost while Redis is away
                self.errors += 1
                self._buf[:0] = batch
                _log.warning(
                    "redis unavailable: holding events", held=len(self._buf), error=str(exc)
                )
                await asyncio.sleep(0.5)

    async def stop(self) -> None:
        self._closing = True
        self._ready.set()
        await finish(self._task)
        with contextlib.suppress(RedisError, OSError):  # OSError: TimeoutError too
            async with asyncio.timeout(10):
                await self.flush()
        if self._buf:
            _log.error("stopped with events Redis never took", lost=len(self._buf))
        await self.redis.aclose()


@dataclass
class _Pending:
    entry: bytes
    seq: int  # the in-process bus' publish count after this event
    ts_event: int


@dataclass
class RedisConsumer:
    """Engine side: stream → consumer group → the engine's ``MarketBus``."""

    url: str
    stream: str
    group: str
    consumer: str
    bus: MarketBus
    # engine: (events drained from the bus, ts_event) through which everything is stored
    done_through: Callable[[], tuple[int, int]]
    batch: int = 1000
    claim_idle_ms: int = 30_000
    received: int = 0
    acked: int = 0
    rejected: int = 0
    recovered: int = 0  # own entries read before a restart and never acknowledged
    claimed: int = 0  # entries taken over from another consumer
    _pending: deque[_Pending] = field(default_factory=deque)
    _task: asyncio.Task[None] | None = None
    _own_from: Any = "0"
    _closing: bool = False  # as the publisher's: stop between commands, not inside one
    clock: Any = None  # with one: ``on_latency`` gets emit → here, per event (ms)
    on_latency: Callable[[float], None] | None = None
    redis: Any = None

    async def start(self) -> None:
        self.redis = aioredis.Redis.from_url(self.url)
        try:
            await self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._task = asyncio.create_task(self._run(), name="redis-consumer")

    async def stop(self) -> None:
        self._closing = True
        await finish(self._task)
        with contextlib.suppress(RedisError, OSError, TimeoutError):
            async with asyncio.timeout(10):
                await self.ack()
        if self.redis is not None:
            await self.redis.aclose()

    async def _run(self) -> None:
        while not self._closing:
            try:
                # 1. what this consumer read before it died and never acknowledged
                await self._read_own_pending()
                self.recovered = self.received
                # 2. what other (dead) consumers left behind
                await self._claim()
                self.claimed = self.received - self.recovered
                break
            except (RedisError, OSError) as exc:
                _log.warning("redis unavailable at start: retrying", error=str(exc))
                await asyncio.sleep(0.5)
        else:
            return
        _log.info(
            "bus: picked up unacknowledged entries",
            own=self.recovered,
            claimed=self.claimed,
            consumer=self.consumer,
        )
        # 3. new entries
        while not self._closing:
            try:
                await self.ack()
                if not (room := await self._room()):
                    continue
                got = await self.redis.xreadgroup(
                    self.group, self.consumer, {self.stream: ">"}, count=room, block=50
                )
                for _stream, entries in got or []:
                    self._take(entries)
            except (RedisError, OSError) as exc:
                _log.warning("redis unavailable: retrying", error=str(exc))
                await asyncio.sleep(0.5)

    async def _room(self) -> int:
        """Backpressure: how many entries to read next (0: stopping). Waits while the
        engine is behind (its bus over half full) and never reads more than the bus has
        room for, so nothing read from the stream is dropped by the drop-oldest bus."""
        while len(self.bus) > self.bus.capacity // 2:
            if self._closing:
                return 0
            await asyncio.sleep(0.01)
        return 0 if self._closing else min(self.batch, self.bus.capacity - len(self.bus))

    async def _read_own_pending(self) -> None:
        # resumes after the last entry taken, so a retry never takes one twice
        while room := await self._room():
            got = await self.redis.xreadgroup(
                self.group, self.consumer, {self.stream: self._own_from}, count=room
            )
            entries = got[0][1] if got else []
            if not entries:
                return
            self._take(entries)
            self._own_from = entries[-1][0]

    async def _claim(self) -> None:
        cursor: Any = "0-0"
        while room := await self._room():
            res = await self.redis.xautoclaim(
                self.stream, self.group, self.consumer, self.claim_idle_ms, cursor, count=room
            )
            cursor, entries = res[0], res[1]
            self._take([e for e in entries if e[1]])
            gone = [e[0] for e in entries if not e[1]]  # trimmed away before anyone read them
            if gone:
                await self.redis.xack(self.stream, self.group, *gone)
            if cursor in (b"0-0", "0-0"):
                return

    def _take(self, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> None:
        for entry_id, fields in entries:
            self.received += 1
            data = fields.get(FIELD)
            try:
                ev = _decode(data) if data is not None else None
            except (msgspec.DecodeError, msgspec.ValidationError):
                ev = None
            if ev is None:
                self.rejected += 1
                _log.warning("bad entry on the bus: skipped", entry=entry_id)
                self._pending.append(_Pending(entry_id, self.bus.published, 0))
                continue
            self.bus.publish(ev)
            self._pending.append(_Pending(entry_id, self.bus.published, ev.ts_event))
            if self.on_latency is not None and self.clock is not None:
                self.on_latency(max(0, self.clock.now_ms() - ev.ts_event))

    async def ack(self) -> None:
        """Acknowledge entries whose events the engine has finished with."""
        if not self._pending:
            return
        drained, done = self.done_through()
        left_bus = drained + self.bus.dropped
        ids = []
        while self._pending:
            p = self._pending[0]
            if p.seq > left_bus or p.ts_event > done:
                break
            ids.append(self._pending.popleft().entry)
        if ids:
            await self.redis.xack(self.stream, self.group, *ids)
            self.acked += len(ids)


# --- collectors' health, for the engine's page and alerts ----------------------------------

_HEALTH = "dexcex:health:"
_health_list = msgspec.json.Decoder(list[SourceHealth])


async def publish_health(redis: Any, shard: str, samples: list[SourceHealth]) -> None:
    """A collector's sources and streams, named ``[K/N] source``; gone after 15 s if the
    collector stops publishing (a dead collector shows as missing, then alerts)."""
    named = [msgspec.structs.replace(h, source=f"[{shard}] {h.source}") for h in samples]
    await redis.set(f"{_HEALTH}{shard}", _encode(named), ex=15)


async def read_health(redis: Any) -> list[SourceHealth]:
    keys = [k async for k in redis.scan_iter(match=f"{_HEALTH}*")]
    if not keys:
        return []
    out: list[SourceHealth] = []
    for raw in await redis.mget(sorted(keys)):
        if raw is not None:
            with contextlib.suppress(msgspec.DecodeError, msgspec.ValidationError):
                out += _health_list.decode(raw)
    return out
