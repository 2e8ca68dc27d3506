"""The page in a process of its own (``dexcex run --role api``), through Redis.

The engine (``--role engine``) copies every message of its page hub — signals, orders,
prices, assets, positions, status, alerts — to the Redis stream ``dexcex:page`` (trimmed
to about 10,000 entries), and takes clicks from the stream ``dexcex:commands``, answering
each on the list ``dexcex:reply:<id>``. An API process reads the page stream into a hub
of its own (its clients get their own sequence numbers and snapshots), keeps the newest
status, assets and positions for its REST answers and snapshots, reads signals, orders
and alerts from the shared store, and forwards a click to the engine, waiting for its
answer. A click the engine does not answer in time is reported as such (503); the engine
reads commands from the moment it starts, so a click sent while it was down is never
executed later by surprise.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import msgspec
from fastapi import HTTPException
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from dexcex.aio import cancel_all, finish
from dexcex.api.hub import Hub
from dexcex.api.service import Answer
from dexcex.logs import get_logger

__all__ = ["COMMANDS", "PAGE_STREAM", "CommandServer", "PageRelay", "RemoteEngine"]

PAGE_STREAM = "dexcex:page"
COMMANDS = "dexcex:commands"
_REPLY = "dexcex:reply:"
_PAGE_MAXLEN = 10_000
_COMMAND_MAXLEN = 1_000
_STALE_COMMAND_MS = 10_000  # a click older than this when the engine reads it is refused
KEPT = ("status", "assets", "positions", "risk")  # the kinds an API answers REST and snapshots from

_log = get_logger("dexcex.api")
_enc = msgspec.json.Encoder()
_dec = msgspec.json.Decoder()


class _Quiet:
    """A warning that repeats while Redis is away: said once, then every 30 s with how
    many times it happened meanwhile."""

    def __init__(self, event: str) -> None:
        self.event = event
        self._last = 0.0
        self._since = 0

    def __call__(self, exc: BaseException, **kw: Any) -> None:
        self._since += 1
        now = time.monotonic()
        if now - self._last >= 30.0:
            _log.warning(self.event, error=str(exc), times=self._since, **kw)
            self._last, self._since = now, 0


class PageRelay:
    """Engine side: every message of ``hub`` also goes to the page stream."""

    def __init__(self, redis: Any, hub: Hub) -> None:
        self._redis = redis
        self._queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue(maxsize=10_000)
        self.sent = 0
        self.dropped = 0
        self._task: asyncio.Task[None] | None = None
        self._warn = _Quiet("page relay: redis unavailable, messages dropped")
        hub.listeners.append(self._on_message)

    def _on_message(self, kind: str, data: Any) -> None:
        try:
            self._queue.put_nowait((kind, data))
        except asyncio.QueueFull:  # Redis away for a while: the page shows fresh state after
            self.dropped += 1

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="page-relay")

    async def stop(self) -> None:
        # bounded: redis-py can lose a cancellation inside a command (see dexcex.aio)
        await cancel_all([self._task], timeout_s=3)

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty() and len(batch) < 500:
                batch.append(self._queue.get_nowait())
            encoded = []
            for kind, data in batch:
                try:
                    encoded.append({b"k": kind.encode(), b"d": _enc.encode(data)})
                except (TypeError, msgspec.EncodeError):  # a bug, not a reason to stop relaying
                    self.dropped += 1
                    _log.exception("page relay: message not encodable", kind=kind)
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for fields in encoded:
                        pipe.xadd(PAGE_STREAM, fields, maxlen=_PAGE_MAXLEN, approximate=True)
                    await pipe.execute()
                self.sent += len(encoded)
            except (RedisError, OSError) as exc:
                self.dropped += len(encoded)
                self._warn(exc, lost=len(encoded))
                await asyncio.sleep(1.0)


# a command from an API process: (operation, its arguments) → the engine's answer
Handle = Callable[[str, dict[str, Any]], Awaitable[Answer]]
OPS = frozenset({"execute", "kill", "auto", "exit"})
Entry = Callable[[dict[bytes, bytes]], Awaitable[None]]


class _Follower(ABC):
    """Reads one Redis stream from its end (``$``: what is already there is not ours),
    hands each entry on, and stops at a flag between reads — never by a cancellation
    inside a blocking read, which redis-py can lose (see ``dexcex.aio``)."""

    def __init__(self, redis: Any, stream: str, count: int, name: str, outage: str) -> None:
        self._redis = redis
        self._stream = stream
        self._count = count
        self._name = name
        self._warn = _Quiet(outage)
        self._task: asyncio.Task[None] | None = None
        self._stop = False

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        self._stop = True
        await finish(self._task, grace_s=2, timeout_s=2)

    @abstractmethod
    async def on_entry(self, fields: dict[bytes, bytes]) -> None:
        """What one entry of the stream means to this follower."""

    async def _run(self) -> None:
        last = "$"
        while not self._stop:
            try:
                got = await self._redis.xread({self._stream: last}, count=self._count, block=500)
            except (RedisError, OSError) as exc:
                self._warn(exc)
                await asyncio.sleep(1.0)
                continue
            for _stream, entries in got or []:
                for entry_id, fields in entries:
                    last = entry_id
                    await self.on_entry(fields)


class CommandServer(_Follower):
    """Engine side: clicks and the kill switch from API processes, executed as the
    engine's own page would. Only commands made after it started: one sent while the
    engine was down is not ours."""

    def __init__(self, redis: Any, handle: Handle) -> None:
        super().__init__(
            redis,
            COMMANDS,
            20,
            "page-commands",
            "page commands: redis unavailable, no clicks taken",
        )
        self._handle = handle
        self._refuse = _Quiet("page commands: malformed command refused")
        self.handled = 0
        self.rejected = 0

    async def on_entry(self, fields: dict[bytes, bytes]) -> None:
        try:
            cmd = _dec.decode(fields[b"c"])
            reply_to = f"{_REPLY}{cmd['id']}"
            op = str(cmd.get("op", "execute"))
            args = cmd.get("args") or {
                "signal_id": str(cmd["signal_id"]),
                "confirm": bool(cmd["confirm"]),
            }
            sent_ms = int(cmd["ts"])
            if op not in OPS or not isinstance(args, dict):
                raise ValueError(f"unknown command {op!r}")
        except (KeyError, TypeError, ValueError, msgspec.DecodeError) as exc:
            self.rejected += 1
            self._refuse(exc, fields=str(fields)[:200], total=self.rejected)
            return
        # wall clocks of two machines (the API stamps it): the engine's market clock may be
        # a simulator's
        if int(time.time() * 1000) - sent_ms > _STALE_COMMAND_MS:
            answer = Answer(409, detail="the command is too old to act on")
        else:
            try:
                answer = await self._handle(op, args)
            except Exception as exc:  # one failed click must not end the engine's listening
                _log.exception("page commands: the command failed", op=op)
                answer = Answer(503, detail=f"the engine failed on this command: {exc!r}")
        self.handled += 1
        try:
            await self._redis.rpush(reply_to, _enc.encode(answer.to_doc()))
            await self._redis.expire(reply_to, 60)
        except (RedisError, OSError) as exc:
            _log.warning("page commands: could not answer", error=str(exc), op=op)


class RemoteEngine(_Follower):
    """API side: what the page's routes read from an engine in another process.

    ``validate`` checks the state it keeps (status, assets, positions) as it arrives, by
    kind: an entry that is not JSON, or kept state of the wrong shape (an engine of
    another version, say), is counted, logged and neither kept nor shown.
    """

    def __init__(
        self,
        redis: Any,
        hub: Hub,
        *,
        validate: Mapping[str, Callable[[Any], object]] | None = None,
        answer_timeout_s: float = 4.0,
    ) -> None:
        super().__init__(
            redis,
            PAGE_STREAM,
            500,
            "page-relay-reader",
            "page relay: redis unavailable, the engine's state is not coming",
        )
        self._hub = hub
        self._validate = dict(validate or {})
        self.answer_timeout_s = answer_timeout_s
        self.latest: dict[str, Any] = {}
        self.received = 0
        self.rejected = 0
        self.last_ms: int | None = None
        self._refuse = _Quiet("page relay: message from the engine refused")

    @property
    def status(self) -> dict[str, Any] | None:
        s = self.latest.get("status")
        return s if isinstance(s, dict) else None

    async def on_entry(self, fields: dict[bytes, bytes]) -> None:
        # from the stream's end: the engine's current state comes with its next tick
        try:
            kind, data = fields[b"k"].decode(), _dec.decode(fields[b"d"])
            check = self._validate.get(kind)
            if check is not None:
                check(data)
        except (KeyError, UnicodeDecodeError, msgspec.DecodeError, ValueError) as exc:
            # pydantic's ValidationError is a ValueError
            self.rejected += 1
            self._refuse(exc, fields=str(fields)[:200], total=self.rejected)
            return
        if kind in KEPT:
            self.latest[kind] = data
        self.received += 1
        self.last_ms = int(time.time() * 1000)
        self._hub.publish(kind, data)

    async def command(self, op: str, args: dict[str, Any]) -> Answer:
        """Hand a command to the engine and wait for its answer."""
        cid = uuid.uuid4().hex
        cmd = {"id": cid, "op": op, "args": args, "ts": int(time.time() * 1000)}
        try:
            await self._redis.xadd(
                COMMANDS, {b"c": _enc.encode(cmd)}, maxlen=_COMMAND_MAXLEN, approximate=True
            )
            got = await self._redis.blpop(
                [f"{_REPLY}{cid}"], timeout=max(1, round(self.answer_timeout_s))
            )
        except RedisTimeoutError:
            got = None  # the client's own read timeout ran out first: no answer either
        except (RedisError, OSError) as exc:
            raise HTTPException(503, f"cannot reach the engine through redis: {exc}") from None
        if got is None:
            raise HTTPException(503, "the engine did not answer: is `--role engine` running?")
        return Answer.from_doc(_dec.decode(got[1]))
