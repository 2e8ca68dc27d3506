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
* A signal is executed at most once, ever: it is claimed before anything awaits (a second
  click meanwhile is answered with the first one's order), an entry order stored by an
  earlier run refuses it too, and the entry is stored before it can fill.
* What happens is written through the journal on a cadence of its own clock (a second of
  wall time live, five market minutes in virtual time) and at the end. A failed write is
  retried with a growing delay and shown red (``faults``); after ``STORAGE_RETRIES``
  failures in a row the kill switch engages (reason storage): nothing new is traded that
  could not be stored.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from typing import Any

from dexcex.config import Settings
from dexcex.core import CoreOutput
from dexcex.domain import (
    Clock,
    Fill,
    MarketEvent,
    NotSent,
    Order,
    OrderBook,
    OrderLeg,
    Rejected,
    TradingMode,
    VenueId,
    client_order_id_for,
)
from dexcex.execution.executor import ExecuteResult, Executor, RiskInput
from dexcex.execution.journal import Journal
from dexcex.execution.journal_flush import STORAGE_RETRIES, FlushPolicy, JournalFlusher
from dexcex.execution.kill_switch import KillReason, KillSwitch
from dexcex.execution.ledger import Ledger, PositionView
from dexcex.execution.paper import Execution
from dexcex.execution.service_switch import Switching
from dexcex.labeling.labeler import Labeler
from dexcex.logs import get_logger
from dexcex.models.guard import AutoGate
from dexcex.pipeline.faults import Faults
from dexcex.pipeline.ports import Io, threaded
from dexcex.risk.limits import limit_reasons
from dexcex.risk.state import PortfolioState

__all__ = ["STORAGE_RETRIES", "ExecuteResult", "ExecutionService", "FlushPolicy", "RiskInput"]

_log = get_logger("dexcex.execution")
_KEEP = 2_000  # recent signals that a click may still execute


def _unfilled_end(order: Order) -> bool:
    """An order that is over with nothing traded: another may be tried in its place."""
    return order.status.is_final and order.filled_qty == 0


class ExecutionService(Switching):
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
        faults: Faults | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.journal = journal
        self.faults = faults or Faults()
        journal.on_conflict = lambda why: self.faults.noted("journal conflict", why)
        self.labeler = Labeler(journal.add_outcomes)
        self.ledger = Ledger()
        self.kill_switch = kill_switch or KillSwitch()
        self.risk = risk
        self.auto = auto
        self.accepting = True  # False: signals are labelled, none traded (a run's last hour)
        self.io = io
        self.flush = flush or FlushPolicy(clock, 1000)
        self.flusher = JournalFlusher(
            journal, self.flush, io, clock, self.faults, self._storage_failed
        )
        # at the end of the data (virtual time), horizons that can no longer elapse are
        # closed with their reason; a live run leaves them to nobody (not this process)
        self.finish_labels = finish_labels
        self.listeners: list[Callable[[Order], None]] = []  # every order state (the page)
        self.gate: AutoGate | None = None  # who may trade by itself (models.guard)
        self._recent: OrderedDict[str, CoreOutput] = OrderedDict()
        self._traded: dict[str, tuple[str, str]] = {}  # signal → (asset, origin), for fills
        self._claimed: dict[str, str] = {}  # signal → its entry's client order id
        # markets traded in → their assets: only their books mark positions
        self._open_markets: dict[tuple[VenueId, str], set[str]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._next_switch_read = 0
        self.executor = executor(self)
        self.mode: TradingMode = self.executor.mode

    # --- what executors report -----------------------------------------------------------------

    def on_execution(self, ex: Execution) -> None:
        """A paper leg happened: for the journal (the ledger gets its fills separately)."""
        self.journal.add_execution(ex)

    def on_order(self, order: Order) -> None:
        entry_done = order.leg is OrderLeg.ENTRY and order.status.is_final
        if entry_done and order.signal_id and self.ledger.release(order.signal_id):
            self._portfolio_changed()
        sid = order.signal_id
        if sid and _unfilled_end(order) and self._claimed.get(sid) == order.client_order_id:
            del self._claimed[sid]  # its entry ended unfilled: a later click may try again
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
        self.ledger.consume(signal_id, float(fill.price * fill.qty))  # a position now
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
            old, _ = self._recent.popitem(last=False)
            self._claimed.pop(old, None)  # too old to click: no second click to refuse
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
        """Trade one signal now (a click, or the automatic path) — at most once, ever."""
        out = self._recent.get(signal_id)
        if out is None:
            return ExecuteResult(signal_id, None, "unknown or too old to execute")
        if signal_id in self._claimed:
            return self._already(signal_id, self._claimed[signal_id])
        why = self._refusal(out)
        if why is not None:
            return self._not_traded(signal_id, why)
        s = out.signal
        # claimed before the first await: a concurrent click finds it taken
        self._claimed[s.id] = client_order_id_for(s.id, OrderLeg.ENTRY)
        try:
            entries = await self.io(self.journal.db.orders.entries_for, s.id)
        except Exception as exc:
            self._claimed.pop(s.id, None)
            return self._not_traded(signal_id, f"not sent: the store did not answer: {exc}")
        except BaseException:
            self._claimed.pop(s.id, None)
            raise
        done = next((e for e in entries if not _unfilled_end(e)), None)
        if done is not None:  # an earlier run (or another process) traded it
            self._claimed[s.id] = done.client_order_id
            return self._already(s.id, done.client_order_id)
        # again now: a kill or other entries may have come while the store answered,
        # and a burst of signals was decided against one portfolio
        late = self._late_refusal(out)
        if late is not None:
            self._claimed.pop(s.id, None)
            return self._not_traded(signal_id, late)
        # each earlier entry ended unfilled: this one is a new order, under a new id
        return await self._send(out, attempt=len(entries))

    async def _send(self, out: CoreOutput, *, attempt: int) -> ExecuteResult:
        s = out.signal
        # the claim names this attempt's id: what an "already" or an unknown outcome cites
        self._claimed[s.id] = client_order_id_for(s.id, OrderLeg.ENTRY, attempt)
        self._traded[s.id] = (s.asset_id, s.origin)
        self._open_markets.setdefault((s.venue, s.symbol), set()).add(s.asset_id)
        self.ledger.reserve(s.id, s.asset_id, out.decision.notional_quote)
        self._portfolio_changed()  # risk counts it while it is on its way
        order: Order | None = None
        unknown = False  # a failure after which the order may be at the venue
        try:
            order = await self.executor.submit(s, out.decision, attempt=attempt)
        except (NotSent, Rejected) as exc:
            if isinstance(exc, Rejected) and exc.reason == "duplicate_client_order_id":
                return self._already(s.id, self._claimed[s.id])
            self._claimed.pop(s.id, None)
            return self._not_traded(s.id, f"not sent: {exc}")
        except Exception as exc:
            # it may have reached the venue: the claim and the reservation stay, so no
            # click sends a second one; the order is found by its id when reconciled
            unknown = True
            _log.exception("execute failed after the order may have left", signal=s.id)
            return self._not_traded(s.id, f"outcome unknown, not sent again: {exc!r}")
        except BaseException:
            self._claimed.pop(s.id, None)
            raise
        finally:
            if not unknown and (order is None or _unfilled_end(order)):
                self._release(s.id)
        if order is None:
            self._claimed.pop(s.id, None)
            return self._not_traded(s.id, self.executor.refusal(s, out.decision) or "not sent")
        if _unfilled_end(order):
            self._claimed.pop(s.id, None)  # nothing traded: a later click may try again
        else:
            self._claimed[s.id] = order.client_order_id
        return ExecuteResult(s.id, order, None)

    def _late_refusal(self, out: CoreOutput) -> str | None:
        if self.kill_switch.on:
            return f"kill switch on ({self.kill_switch.state.reason})"
        now = self.portfolio()
        reasons = limit_reasons(
            self.settings.core.risk, now, out.signal.asset_id, out.decision.notional_quote
        )
        return f"limits since the decision: {reasons[0][1]}" if reasons else None

    def _release(self, signal_id: str) -> None:
        if self.ledger.release(signal_id):
            self._portfolio_changed()

    def _already(self, signal_id: str, client_order_id: str) -> ExecuteResult:
        why = f"already executed: order {client_order_id}"
        return ExecuteResult(signal_id, None, why, existing=client_order_id)

    def _not_traded(self, signal_id: str, why: str) -> ExecuteResult:
        if self.auto:
            self.journal.not_traded(signal_id, why, self.clock.now_ms())
        return ExecuteResult(signal_id, None, why)

    async def store_intent(self, order: Order) -> None:
        """An entry stored (as sent) before it can fill (paper; live stores its own)."""
        await self.io(self.journal.db.orders.add, order)

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
            # engaged here, before the next event: the cancelling may take its time, but
            # no signal after this fill or mark may be approved
            self._engage(KillReason.DAILY_LOSS, detail)
            self.spawn(
                self.executor.kill(f"kill switch: {KillReason.DAILY_LOSS.value}", flatten=False)
            )

    async def force_exit(self, asset_id: str, origin: str) -> Order | None:
        """Close one position now, at the market (a person's decision: the page)."""
        order = await self.executor.exit_position(asset_id, origin, "forced exit")
        if order is not None:
            _log.warning("forced exit", asset=asset_id, origin=origin, order=order.client_order_id)
        return order

    def positions(self) -> list[PositionView]:
        return self.ledger.views()

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
        await self.flusher.last()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task: asyncio.Task[Any] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            self.faults.failed("execution task", exc)

    async def tick(self, now_ms: int, *, final: bool = False) -> None:
        """After each engine step: outcomes checked and the journal written on its cadence
        (and everything at the end)."""
        if not self.flusher.due(final):
            return
        await self._follow_stored_switch(self.flush.clock.now_ms())
        self.labeler.check(now_ms)
        if final and self.finish_labels:
            self.labeler.finish(now_ms)
        await self._flush()

    async def _flush(self) -> bool:
        return await self.flusher.flush()

    @property
    def flush_failures(self) -> int:
        return self.flusher.failures

    async def wait_idle(self) -> None:
        """Until the tasks it spawned are done (tests; the end of a virtual run)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
