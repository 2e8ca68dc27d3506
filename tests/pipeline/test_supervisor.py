from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable

from dexcex.clock import SystemClock
from dexcex.domain import (
    AuthError,
    DexPrice,
    HealthState,
    MarketEvent,
    RateLimited,
    SourceKind,
    TemporarilyUnavailable,
)
from dexcex.pipeline.backoff import Backoff
from dexcex.pipeline.supervisor import StreamSpec, Supervisor
from tests.factories import make_asset
from tests.waiting import until

ASSET = make_asset()
Emit = Callable[[MarketEvent], None]


def ev() -> DexPrice:
    now = SystemClock().now_ms()
    return DexPrice("wif", ASSET.dex[0].chain, ASSET.dex[0].token_address, 1.0, now, now)


def supervisor(down_after: int = 3) -> Supervisor:
    return Supervisor(SystemClock(), Backoff(0.01, 0.05), down_after=down_after, check_every_s=0.02)


async def test_a_failing_stream_is_restarted_and_recovers() -> None:
    attempts = 0

    async def flaky(emit: Emit) -> None:
        nonlocal attempts
        attempts += 1
        if attempts <= 2:
            raise TemporarilyUnavailable("connection refused")
        while True:
            emit(ev())
            await asyncio.sleep(0.01)

    got: list[MarketEvent] = []
    sup = supervisor()
    sup.add(StreamSpec("flaky", SourceKind.DEX_SOURCE, flaky), got.append)
    await until(lambda: len(got) >= 5)
    st = sup.status["flaky"]
    assert st.restarts == 2 and st.state is HealthState.OK and not st.down
    assert [h for _, h in st.history][:2] == [
        "degraded: TemporarilyUnavailable: connection refused"
    ] * 2
    await sup.stop()


async def test_a_stream_that_keeps_failing_is_down_and_the_others_go_on() -> None:
    async def broken(emit: Emit) -> None:
        raise TemporarilyUnavailable("HTTP 503")

    async def healthy(emit: Emit) -> None:
        while True:
            emit(ev())
            await asyncio.sleep(0.01)

    got: list[MarketEvent] = []
    sup = supervisor(down_after=3)
    sup.add(StreamSpec("broken", SourceKind.CEX_VENUE, broken), got.append)
    sup.add(StreamSpec("healthy", SourceKind.CEX_VENUE, healthy), got.append)
    await until(lambda: sup.status["broken"].down)
    n = len(got)
    await until(lambda: len(got) > n + 5, what="the healthy stream still flowing")
    assert sup.status["broken"].state is HealthState.DOWN
    assert sup.status["broken"].attempts >= 3  # it keeps trying, slowly
    assert sup.status["healthy"].state is HealthState.OK
    health = {h.source: h for h in sup.health()}
    assert health["broken"].state is HealthState.DOWN and "503" in health["broken"].detail
    await sup.stop()


async def test_refused_credentials_are_down_at_once() -> None:
    async def refused(emit: Emit) -> None:
        raise AuthError("HTTP 401")

    sup = supervisor(down_after=5)
    sup.add(StreamSpec("auth", SourceKind.DEX_SOURCE, refused), lambda e: None)
    await until(lambda: sup.status["auth"].attempts >= 1 and sup.status["auth"].down)
    assert "credentials refused" in sup.status["auth"].last_error
    await sup.stop()


async def test_a_rate_limit_waits_at_least_retry_after() -> None:
    starts: list[float] = []

    async def limited(emit: Emit) -> None:
        starts.append(time.monotonic())
        raise RateLimited("429", retry_after_s=0.3)

    sup = supervisor(down_after=10)
    sup.add(StreamSpec("limited", SourceKind.CEX_VENUE, limited), lambda e: None)
    await until(lambda: len(starts) >= 3)
    await sup.stop()
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.29


async def test_a_silent_connection_is_stale_and_reconnected() -> None:
    attempts = 0

    async def goes_quiet(emit: Emit) -> None:
        nonlocal attempts
        attempts += 1
        emit(ev())
        await asyncio.Event().wait()  # connected, but nothing ever comes again

    sup = supervisor()
    sup.add(
        StreamSpec("quiet", SourceKind.CEX_VENUE, goes_quiet, stale_after_s=0.2), lambda e: None
    )
    await until(lambda: attempts >= 3)
    st = sup.status["quiet"]
    assert st.stale_restarts >= 2
    assert any("stale" in h for _, h in st.history)
    await sup.stop()


async def test_stop_cancels_every_stream_and_closes_it() -> None:
    closed: list[str] = []
    cancelled: list[str] = []

    async def forever(emit: Emit) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append("x")
            raise

    async def close() -> None:
        closed.append("x")

    sup = supervisor()
    sup.add(StreamSpec("a", SourceKind.CEX_VENUE, forever, close=close), lambda e: None)
    await asyncio.sleep(0.05)
    await sup.stop()
    assert cancelled == ["x"] and closed == ["x"]
    assert sup.status["a"].state is HealthState.DOWN
