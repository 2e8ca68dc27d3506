"""Every stream as its own asyncio task, kept alive by one supervisor.

A stream is a coroutine ``run(emit)`` that connects, subscribes and emits events until its
connection ends — then it raises (or returns, which counts the same). The supervisor:

- restarts it after an exponential, jittered, capped delay (``Backoff``); a rate limit's
  ``retry_after`` is honoured when it is longer;
- marks it *down* after ``down_after`` consecutive failures without stopping the others
  (it keeps retrying at the capped delay); refused credentials (``AuthError``) are down
  at once;
- watches freshness: no message for the stream's ``stale_after_s`` (market time, from
  the supervisor's clock) cancels the attempt and reconnects — a silent connection is
  treated as a dead one;
- stops everything cleanly on ``stop()``: tasks are cancelled and awaited, then each
  stream's ``close`` runs.

Failures reset once an attempt has delivered messages again, so a stream that recovers
starts its next backoff from the bottom.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from dexcex.domain import (
    AuthError,
    Clock,
    HealthState,
    MarketEvent,
    RateLimited,
    SourceHealth,
    SourceKind,
)
from dexcex.logs import get_logger
from dexcex.pipeline.backoff import Backoff

__all__ = ["StreamSpec", "StreamStatus", "Supervisor"]

_log = get_logger("dexcex.pipeline")

Emit = Callable[[MarketEvent], None]


@dataclass
class StreamSpec:
    """One supervised stream. ``run`` must keep going until its connection ends."""

    name: str  # e.g. "mexc:book:WIF/USDT", "birdeye:ws:solana"
    kind: SourceKind
    run: Callable[[Emit], Coroutine[Any, Any, None]]
    stale_after_s: float | None = None  # None: never stale (a poller has its own cadence)
    emits: bool = True  # False: a poller or periodic job; up while its rounds succeed
    close: Callable[[], Awaitable[None]] | None = None


@dataclass
class StreamStatus:
    name: str
    kind: SourceKind
    state: HealthState = HealthState.DOWN
    attempts: int = 0
    failures: int = 0  # consecutive
    restarts: int = 0
    stale_restarts: int = 0
    messages: int = 0
    last_msg_ms: int | None = None
    attempt_started_ms: int = 0
    up_since_ms: int | None = None  # first message of the current attempt
    last_error: str = ""
    down: bool = False
    history: list[tuple[int, str]] = field(default_factory=list)  # (ts, state), capped

    def note(self, ts: int, state: HealthState, why: str = "") -> None:
        if state is not self.state or why:
            self.history.append((ts, f"{state.value}{': ' + why if why else ''}"))
            del self.history[:-50]
        self.state = state

    def health(self, now: int) -> SourceHealth:
        return SourceHealth(
            source=self.name,
            kind=self.kind,
            state=self.state,
            connected=self.state in (HealthState.OK, HealthState.STALE),
            ts=now,
            last_msg_age_ms=None if self.last_msg_ms is None else now - self.last_msg_ms,
            errors=self.failures,
            reconnects=self.restarts,
            detail=self.last_error,
        )


class Supervisor:
    def __init__(
        self,
        clock: Clock,
        backoff: Backoff,
        *,
        down_after: int = 5,
        check_every_s: float = 0.25,
    ) -> None:
        self.clock = clock
        self.backoff = backoff
        self.down_after = down_after
        self.check_every_s = check_every_s
        self.streams: dict[str, StreamSpec] = {}
        self.status: dict[str, StreamStatus] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stopping = False

    def add(self, spec: StreamSpec, emit: Emit) -> None:
        if spec.name in self.streams:
            raise ValueError(f"stream {spec.name} added twice")
        self.streams[spec.name] = spec
        self.status[spec.name] = StreamStatus(spec.name, spec.kind)
        self._tasks[spec.name] = asyncio.create_task(self._keep(spec, emit), name=spec.name)

    async def stop(self) -> None:
        self._stopping = True
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for spec in self.streams.values():
            if spec.close is not None:
                with contextlib.suppress(Exception):
                    await spec.close()
        for st in self.status.values():
            st.note(self.clock.now_ms(), HealthState.DOWN, "stopped")

    def health(self) -> list[SourceHealth]:
        now = self.clock.now_ms()
        return [st.health(now) for st in self.status.values()]

    # --- one stream --------------------------------------------------------------------------

    async def _keep(self, spec: StreamSpec, emit: Emit) -> None:
        st = self.status[spec.name]

        def counted(ev: MarketEvent) -> None:
            st.messages += 1
            st.last_msg_ms = self.clock.now_ms()
            if st.up_since_ms is None:
                st.up_since_ms = st.last_msg_ms
            if st.state is not HealthState.OK:
                st.note(st.last_msg_ms, HealthState.OK)
                st.down = False
            emit(ev)

        while not self._stopping:
            st.attempts += 1
            st.attempt_started_ms = self.clock.now_ms()
            st.up_since_ms = None
            if not spec.emits:
                st.note(st.attempt_started_ms, HealthState.OK)
                st.up_since_ms = st.attempt_started_ms
            before = st.messages
            wait_at_least = 0.0
            try:
                await self._attempt(spec, st, counted)
                why = "ended"
            except asyncio.CancelledError:
                if not _foreign_cancel():
                    raise
                # a task it waited on was cancelled by another waiter (ccxt shares one
                # market-loading task between callers): this stream was not stopped
                why = "cancelled by a shared task it waited on"
                _log.warning("stream attempt cancelled from elsewhere; retrying", stream=spec.name)
            except Exception as exc:  # any failure of one stream must not stop the others
                why, wait_at_least = self._classify(spec, st, exc)
            self._failed(spec, st, why, worked=st.messages > before)
            await asyncio.sleep(max(wait_at_least, self.backoff.delay(st.failures)))

    def _classify(self, spec: StreamSpec, st: StreamStatus, exc: Exception) -> tuple[str, float]:
        """Why the attempt ended, and the least time to wait before the next one."""
        if isinstance(exc, _Stale):
            st.stale_restarts += 1
            return str(exc), 0.0
        if isinstance(exc, AuthError):
            st.failures = self.down_after  # a human must act; keep trying, slowly
            return f"credentials refused: {exc}", 0.0
        if isinstance(exc, RateLimited):
            return f"rate limited: {exc}", exc.retry_after_s or 0.0
        if not isinstance(exc, (OSError, TimeoutError)) and not _is_ours(exc):
            _log.exception("stream crashed", stream=spec.name)
        return f"{type(exc).__name__}: {exc}", 0.0

    def _failed(self, spec: StreamSpec, st: StreamStatus, why: str, *, worked: bool) -> None:
        if worked:
            st.failures = 0  # it worked for a while: back off from the bottom
        st.failures += 1
        st.restarts += 1
        st.last_error = why[:300]
        now = self.clock.now_ms()
        if st.failures >= self.down_after:
            if not st.down:
                _log.error("stream down", stream=spec.name, failures=st.failures, reason=why)
            st.down = True
            st.note(now, HealthState.DOWN, why[:120])
        else:
            st.note(now, HealthState.DEGRADED, why[:120])
            _log.warning("stream reconnecting", stream=spec.name, reason=why)

    async def _attempt(self, spec: StreamSpec, st: StreamStatus, emit: Emit) -> None:
        task = asyncio.create_task(spec.run(emit), name=f"{spec.name}#{st.attempts}")
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=self.check_every_s)
                if done:
                    task.result()  # raises what the stream raised
                    return
                if spec.stale_after_s is not None:
                    now = self.clock.now_ms()
                    last = max(st.last_msg_ms or 0, st.attempt_started_ms)
                    if now - last > spec.stale_after_s * 1000:
                        st.note(now, HealthState.STALE)
                        raise _Stale(f"no message for {(now - last) / 1000:.0f} s")
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task


class _Stale(Exception):
    pass


def _is_ours(exc: BaseException) -> bool:
    from dexcex.domain import DexcexError

    return isinstance(exc, DexcexError)


def _foreign_cancel() -> bool:
    """A CancelledError that was not aimed at the running task (nobody cancelled it)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() == 0
