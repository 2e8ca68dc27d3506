"""Execution inside a running engine (``dexcex run``, ``dexcex demo``): paper or live.

Subscribes to the engine's stored signals and taps its books. Every signal is tracked by
the labeler (outcomes as the horizons elapse). An approved signal is traded:

* in paper mode, by the paper broker — automatically (``execution.auto_paper``) or on a
  click (``execute``);
* in live mode, by the live trader, only after it has reconciled with the venues, and
  only on a click unless ``live.auto_execute`` is set.

What happens is written through the journal once a second, off the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from dexcex.aio import cancel_all
from dexcex.config import Settings
from dexcex.core import CoreOutput
from dexcex.domain import Clock, ConfigError, MarketEvent, Order, OrderBook, TradingMode, VenueId
from dexcex.execution.journal import Journal
from dexcex.execution.live import LiveTrader
from dexcex.execution.paper import Execution, PaperBroker
from dexcex.labeling.labeler import Labeler
from dexcex.logs import get_logger
from dexcex.pipeline.engine import Engine
from dexcex.store import Database
from dexcex.venues.router import VenueRouter

__all__ = ["ExecuteResult", "ExecutionService"]

_log = get_logger("dexcex.execution")
_KEEP = 2_000  # recent signals that a click may still execute


@dataclass(frozen=True)
class ExecuteResult:
    signal_id: str
    order: Order | None
    refused: str | None  # why not, when no order was sent


class ExecutionService:
    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        db: Database,
        clock: Clock,
        router: VenueRouter | None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.db = db
        self.clock = clock
        self.mode = TradingMode.LIVE if settings.live.enabled else TradingMode.PAPER
        self.journal = Journal(db)
        self.labeler = Labeler(self.journal.add_outcomes)
        fees = {v: settings.venues.get(v).taker_fee_bps for v in VenueId}
        self.paper = PaperBroker(settings.execution, fees, clock, self._on_execution)
        self.listeners: list[Callable[[Order], None]] = []  # every order state (the page)
        self.live: LiveTrader | None = None
        if self.mode is TradingMode.LIVE:
            if router is None:
                raise ConfigError("live trading needs MEXC and Bybit both enabled (failover)")
            self.live = LiveTrader(settings, router, db, clock, on_order=self._notify)
        self.auto = (
            settings.live.auto_execute if self.live is not None else settings.execution.auto_paper
        )
        self._recent: OrderedDict[str, CoreOutput] = OrderedDict()
        self._channel = engine.subscribe(settings.pipeline.control_queue)
        engine.on_event.append(self._on_event)
        self._tasks: list[asyncio.Task[Any]] = []

    def _on_execution(self, ex: Execution) -> None:
        self.journal.add_execution(ex)
        self._notify(ex.order)

    def _notify(self, order: Order) -> None:
        for fn in self.listeners:
            fn(order)

    def signal_output(self, signal_id: str) -> CoreOutput | None:
        """A recent signal with its risk decision (what a click would execute)."""
        return self._recent.get(signal_id)

    # --- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._consume(), name="execution"),
            asyncio.create_task(self._tick(), name="execution-flush"),
        ]
        if self.live is not None:
            self._tasks.append(asyncio.create_task(self._reconcile(), name="live-reconcile"))

    async def stop(self) -> None:
        await cancel_all(self._tasks)
        if self.live is not None:
            await self.live.stop()
        await self._flush()

    async def _reconcile(self) -> None:
        assert self.live is not None
        delay = 1.0
        while not self.live.ready:
            try:
                await self.live.reconcile()
            except Exception:
                _log.exception("live reconcile failed; new signals wait", retry_in_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)

    # --- the flow ------------------------------------------------------------------------------

    def _on_event(self, ev: MarketEvent) -> None:
        if not isinstance(ev, OrderBook):
            return
        self.labeler.on_book(ev)
        if self.live is None:
            self.paper.on_book(ev)
            return
        for trade, why in self.live.due_exits(ev):
            trade.exiting = True  # one closing order at a time
            self._spawn(self.live.close(trade, why))

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task: asyncio.Task[Any] = asyncio.get_running_loop().create_task(coro)
        self._tasks.append(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        with contextlib.suppress(ValueError):
            self._tasks.remove(task)
        if not task.cancelled() and task.exception() is not None:
            _log.error("execution task failed", error=repr(task.exception()))

    async def _consume(self) -> None:
        while True:
            out = await self._channel.get()
            self.offer(out)
            if self.auto and out.decision.approved:
                await self.execute(out.signal.id)

    def offer(self, out: CoreOutput) -> None:
        """A stored signal: labeled from now on, and executable while it is recent."""
        self.labeler.track(out.signal)
        self._recent[out.signal.id] = out
        while len(self._recent) > _KEEP:
            self._recent.popitem(last=False)

    async def execute(self, signal_id: str) -> ExecuteResult:
        """Trade one signal now (a click, or the automatic path)."""
        out = self._recent.get(signal_id)
        if out is None:
            return ExecuteResult(signal_id, None, "unknown or too old to execute")
        s, d = out.signal, out.decision
        if s.expires_ts is not None and self.clock.now_ms() > s.expires_ts:
            return ExecuteResult(signal_id, None, "signal expired")
        if self.live is not None:
            why = self.live.refusal(s, d)
            order = None if why is not None else await self.live.submit(s, d)
        else:
            why = self.paper.refusal(s, d)
            order = None if why is not None else self.paper.submit(s, d)
            if order is not None:
                self._notify(order)
        if why is not None and self.auto:
            self.journal.not_traded(signal_id, why, self.clock.now_ms())
        return ExecuteResult(signal_id, order, why)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            self.labeler.check(self.clock.now_ms())
            await self._flush()

    async def _flush(self) -> None:
        batch = self.journal.detach()
        try:
            await asyncio.to_thread(batch.flush, self.clock.now_ms())
        except Exception:
            _log.exception("could not write executions and outcomes; will retry")
            self.journal.requeue(batch)
        j = self.journal
        j.written_signals += batch.written_signals
        j.written_orders += batch.written_orders
        j.written_outcomes += batch.written_outcomes
