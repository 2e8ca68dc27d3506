"""A venue that stalls at start-up: ccxt shares one market-loading task between callers,
and a caller's timeout cancels it for all of them. The other streams and the live
reconciler were not stopped, so they log it, try again and recover once it answers."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from dexcex.domain import MarketEvent, SourceKind
from dexcex.execution.live_executor import LiveExecutor
from dexcex.pipeline.supervisor import StreamSpec
from tests.pipeline.test_supervisor import ev, supervisor
from tests.waiting import until

Emit = Callable[[MarketEvent], None]


class SharedMarkets:
    """ccxt's ``load_markets``: one future that every caller awaits."""

    def __init__(self, stall_s: float) -> None:
        self.loading: asyncio.Future[dict[str, Any]] | None = None
        self.until = time.monotonic() + stall_s

    async def load(self) -> dict[str, Any]:
        if self.loading is None or self.loading.cancelled():
            self.loading = asyncio.ensure_future(self._fetch())
        return await self.loading

    async def _fetch(self) -> dict[str, Any]:
        while time.monotonic() < self.until:  # noqa: ASYNC110 - the venue does not answer yet
            await asyncio.sleep(0.01)
        return {"WIF/USDT": {}}


async def test_streams_waiting_on_a_shared_task_a_timeout_cancelled_recover() -> None:
    markets = SharedMarkets(stall_s=0.5)

    async def book(emit: Emit) -> None:  # a book stream with its own timeout
        await asyncio.wait_for(markets.load(), 0.05)
        while True:
            emit(ev())
            await asyncio.sleep(0.01)

    async def trades(emit: Emit) -> None:  # no timeout: it only sees the cancellation
        await markets.load()
        while True:
            emit(ev())
            await asyncio.sleep(0.01)

    got: dict[str, list[MarketEvent]] = {"book": [], "trades": []}
    sup = supervisor(down_after=100)
    sup.add(StreamSpec("book", SourceKind.CEX_VENUE, book), got["book"].append)
    sup.add(StreamSpec("trades", SourceKind.CEX_VENUE, trades), got["trades"].append)
    await until(lambda: len(got["trades"]) >= 3 and len(got["book"]) >= 3, limit_s=10)
    assert sup.status["trades"].restarts >= 1
    assert "cancelled by a shared task" in sup.status["trades"].last_error
    await sup.stop()


async def test_the_reconciler_retries_after_a_shared_task_was_cancelled() -> None:
    markets = SharedMarkets(stall_s=0.3)

    async def reconcile() -> None:
        await markets.load()
        trader.ready = True

    trader = SimpleNamespace(ready=False, reconcile=reconcile)
    ex = LiveExecutor(trader, lambda c: None)  # type: ignore[arg-type]
    task = asyncio.create_task(ex._reconcile())
    await asyncio.sleep(0)
    while markets.loading is None:  # noqa: ASYNC110 - until the reconciler waits on it
        await asyncio.sleep(0.001)
    with contextlib.suppress(TimeoutError):  # ... cancelling the shared task for all
        await asyncio.wait_for(markets.load(), 0.05)
    await asyncio.wait_for(task, 10)
    assert trader.ready
