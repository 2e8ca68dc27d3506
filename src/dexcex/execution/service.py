"""Execution inside the engine — the same for live, demo, replay and paper runs.

The engine hands it every released event (``on_event``: books fill paper orders, mark
positions, label signals) and every stored signal (``offer``); it hands the core, after
every fill and every mark of an open position, the portfolio that risk decides on.

* Every stored signal is tracked by the labeler (outcomes as the horizons elapse).
* An approved signal is traded by the executor — paper or live, one shape
  (``execution.executor``) — automatically when ``auto`` is on, else on a click
  (``execute``). Live trading waits for reconciliation and never trades by itself unless
  ``live.auto_execute``.
* The kill switch (``execution.kill_switch``) refuses every new entry and cancels what
  is open; it engages by itself at the daily-loss limit.
* What happens is written through the journal on a cadence of its own clock (a second of
  wall time live, five market minutes in virtual time) and at the end.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from dexcex.config import Settings
from dexcex.core import CoreOutput
from dexcex.domain import Clock, Fill, MarketEvent, Order, OrderBook, TradingMode, VenueId
from dexcex.execution.executor import Executor
from dexcex.execution.journal import Journal
from dexcex.execution.kill_switch import KillReason, KillState, KillSwitch
from dexcex.execution.ledger import Ledger, PositionView
from dexcex.execution.paper import Execution
from dexcex.labeling.labeler import Labeler
from dexcex.logs import get_logger
from dexcex.models.guard import AutoGate
from dexcex.pipeline.ports import Io, threaded
from dexcex.risk.state import PortfolioState

__all__ = ["ExecuteResult", "ExecutionService", "FlushPolicy", "RiskInput"]

_log = get_logger("dexcex.execution")
_KEEP = 2_000  # recent signals that a click may still execute


class RiskInput(Protocol):
    """Where the portfolio goes: the core's risk layer."""

    def set_portfolio(self, portfolio: PortfolioState) -> None: ...


@dataclass(frozen=True)
class ExecuteResult:
    signal_id: str
    order: Order | None
    refused: str | None  # why not, when no order was sent


@dataclass(frozen=True)
class FlushPolicy:
    """When the journal is written: every ``every_ms`` of ``clock``."""

    clock: Clock
    every_ms: int


class ExecutionService:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        journal: Journal,
        executor: Callable[[ExecutionService], Executor],
        *,
        auto: bool,
        kill_switch: KillSwitch | None = None,
        risk: RiskInput | None = None,
        flush: FlushPolicy | None = None,
        io: Io = threaded,
        finish_labels: bool = False,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.journal = journal
        self.labeler = Labeler(journal.add_outcomes)
        self.ledger = Ledger()
        self.kill_switch = kill_switch or KillSwitch()
        self.risk = risk
        self.auto = auto
        self.accepting = True  # False: signals are labelled, none traded (a run's last hour)
        self.io = io
        self.flush = flush or FlushPolicy(clock, 1000)
        # at the end of the data (virtual time), horizons that can no longer elapse are
        # closed with their reason; a live run leaves them to nobody (not this process)
        self.finish_labels = finish_labels
        self.listeners: list[Callable[[Order], None]] = []  # every order state (the page)
        self.gate: AutoGate | None = None  # who may trade by itself (models.guard)
        self._recent: OrderedDict[str, CoreOutput] = OrderedDict()
        self._traded: dict[str, tuple[str, str]] = {}  # signal → (asset, origin), for fills
        # markets traded in → their assets: only their books mark positions
        self._open_markets: dict[tuple[VenueId, str], set[str]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._next_flush = 0
        self.executor = executor(self)
        self.mode: TradingMode = self.executor.mode

    # --- what executors report -----------------------------------------------------------------

    def on_execution(self, ex: Execution) -> None:
        """A paper leg happened: for the journal (the ledger gets its fills separately)."""
        self.journal.add_execution(ex)

    def on_order(self, order: Order) -> None:
        for fn in self.listeners:
            fn(order)

    def on_fill(self, fill: Fill, signal_id: str) -> None:
        where = self._traded.get(signal_id)
        if where is None:
            out = self._recent.get(signal_id)
            if out is None:
                _log.warning("a fill of an unknown signal", signal=signal_id)
                return
            where = (out.signal.asset_id, out.signal.origin)
        self.ledger.apply(fill, *where, signal_id)
        self._portfolio_changed()

    # --- what the engine hands over ------------------------------------------------------------

    def on_event(self, ev: MarketEvent) -> None:
        """A released event (an engine listener): books fill, exit, mark and label."""
        if not isinstance(ev, OrderBook):
            return
        self.labeler.on_book(ev)
        self.executor.on_book(ev)
        assets = self._open_markets.get((ev.venue, ev.symbol))
        if assets and ev.mid is not None:
            moved = False
            for asset in assets:
                moved = self.ledger.mark(asset, ev.mid) or moved
            if moved:
                self._portfolio_changed()

    async def offer(self, out: CoreOutput) -> None:
        """A stored signal: labelled from now on, executable while recent, traded now when
        automatic and approved."""
        self.labeler.track(out.signal)
        self._recent[out.signal.id] = out
        while len(self._recent) > _KEEP:
            self._recent.popitem(last=False)
        if self.gate is not None:
            self.gate.observe(out)
        if not (self.auto and out.decision.approved):
            return
        if self.gate is not None:
            why = self.gate.refusal(out, self.kill_switch.on)
            if why is not None:
                self.journal.not_traded(out.signal.id, why, self.clock.now_ms())
                return
        if self.executor.inline:
            await self.execute(out.signal.id)
        else:
            self.spawn(self.execute(out.signal.id))

    def signal_output(self, signal_id: str) -> CoreOutput | None:
        """A recent signal with its risk decision (what a click would execute)."""
        return self._recent.get(signal_id)

    async def execute(self, signal_id: str) -> ExecuteResult:
        """Trade one signal now (a click, or the automatic path)."""
        out = self._recent.get(signal_id)
        if out is None:
            return ExecuteResult(signal_id, None, "unknown or too old to execute")
        s, d = out.signal, out.decision
        why = self._refusal(out)
        order = None
        if why is None:
            self._traded[s.id] = (s.asset_id, s.origin)
            self._open_markets.setdefault((s.venue, s.symbol), set()).add(s.asset_id)
            order = await self.executor.submit(s, d)
            why = None if order is not None else self.executor.refusal(s, d) or "not sent"
        if why is not None and self.auto:
            self.journal.not_traded(signal_id, why, self.clock.now_ms())
        return ExecuteResult(signal_id, order, why)

    def _refusal(self, out: CoreOutput) -> str | None:
        s = out.signal
        if not self.accepting:
            return "the run's last hour only settles outcomes"
        if self.kill_switch.on:
            return f"kill switch on ({self.kill_switch.state.reason})"
        if s.expires_ts is not None and self.clock.now_ms() > s.expires_ts:
            return "signal expired"
        return self.executor.refusal(s, out.decision)

    # --- portfolio → risk, and the limits that act by themselves ------------------------------

    def portfolio(self) -> PortfolioState:
        return self.ledger.state(self.clock.now_ms(), kill_switch=self.kill_switch.on)

    def _portfolio_changed(self) -> None:
        state = self.portfolio()
        if self.risk is not None:
            self.risk.set_portfolio(state)
        limit = self.settings.core.risk.max_daily_loss_usd
        if state.daily_pnl_usd <= -limit and not self.kill_switch.on:
            detail = f"the day's P/L {state.daily_pnl_usd:,.2f} reached the limit -{limit:,.2f}"
            _log.warning("daily loss limit: kill switch on", detail=detail)
            # engaged now, not in the task: a virtual-time run may never yield to it before
            # the next signal (the task only cancels what is open at the venues)
            self._engage(KillReason.DAILY_LOSS, detail)
            self.spawn(self.kill(KillReason.DAILY_LOSS, detail))

    def positions(self) -> list[PositionView]:
        return self.ledger.views()

    # --- the kill switch -----------------------------------------------------------------------

    async def kill(
        self, reason: KillReason = KillReason.MANUAL, detail: str = "", *, flatten: bool = False
    ) -> list[Order]:
        """Refuse every new entry from now on, cancel what is open at the venues; with
        ``flatten`` also close every position. Persisted: a restart stays killed."""
        self._engage(reason, detail)
        return await self.executor.kill(f"kill switch: {reason.value}", flatten=flatten)

    def _engage(self, reason: KillReason, detail: str) -> None:
        if self.kill_switch.engage(reason, detail or reason.value, self.clock.now_ms()):
            _log.warning("kill switch on", reason=reason.value, detail=detail)
        if self.risk is not None:
            self.risk.set_portfolio(self.portfolio())

    async def release(self) -> KillState:
        """The kill switch off again: new entries are allowed."""
        if self.kill_switch.release(self.clock.now_ms()):
            _log.warning("kill switch released")
        if self.risk is not None:
            self.risk.set_portfolio(self.portfolio())
        return self.kill_switch.state

    # --- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        state = self.kill_switch.load()
        if state.on:
            _log.warning("starting with the kill switch on", reason=str(state.reason))
        if self.risk is not None:
            self.risk.set_portfolio(self.portfolio())
        await self.executor.start()

    async def stop(self) -> None:
        for t in list(self._tasks):
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.executor.stop()
        await self._flush()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task: asyncio.Task[Any] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _log.error("execution task failed", error=repr(task.exception()))

    async def tick(self, now_ms: int, *, final: bool = False) -> None:
        """After each engine step: outcomes checked and the journal written on its cadence
        (and everything at the end)."""
        t = self.flush.clock.now_ms()
        if not final and t < self._next_flush:
            return
        self._next_flush = t + self.flush.every_ms
        self.labeler.check(now_ms)
        if final and self.finish_labels:
            self.labeler.finish(now_ms)
        await self._flush()

    async def _flush(self) -> None:
        batch = self.journal.detach()
        try:
            await self.io(batch.flush, self.clock.now_ms())
        except Exception:
            _log.exception("could not write executions and outcomes; will retry")
            self.journal.requeue(batch)
        j = self.journal
        j.written_signals += batch.written_signals
        j.written_orders += batch.written_orders
        j.written_outcomes += batch.written_outcomes

    async def wait_idle(self) -> None:
        """Until the tasks it spawned are done (tests; the end of a virtual run)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
