"""What trades a signal: the one shape paper and live execution share.

``ExecutionService`` holds one ``Executor`` and never asks which it is. An executor
reports what happens through the callbacks it is given: every order state
(``on_order``) and every fill with its signal (``on_fill``) — from those the service
stores, shows and keeps the ledger risk decides on.

``inline``: ``submit`` completes without waiting on a network (paper), so the engine runs
it inside its step — in virtual time a fill then walks the first book after the signal,
exactly; a live submit is a task of its own, so the engine never waits on a venue.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from dexcex.domain import Fill, NotSent, Order, OrderBook, RiskDecision, Signal, TradingMode
from dexcex.execution.paper import Execution, PaperBroker
from dexcex.risk.state import PortfolioState

__all__ = ["Executor", "FillSink", "IntentStore", "OrderSink", "PaperExecutor"]

OrderSink = Callable[[Order], None]
IntentStore = Callable[[Order], Awaitable[None]]
FillSink = Callable[[Fill, str], None]  # the fill and its signal id


class RiskInput(Protocol):
    """Where the portfolio goes: the core's risk layer."""

    def set_portfolio(self, portfolio: PortfolioState) -> None: ...


@dataclass(frozen=True)
class ExecuteResult:
    signal_id: str
    order: Order | None
    refused: str | None  # why not, when no order was sent
    existing: str | None = None  # the order that already executed this signal


class Executor(Protocol):
    mode: TradingMode
    inline: bool

    def refusal(self, signal: Signal, decision: RiskDecision) -> str | None:
        """Why this signal would not be traded now (None: it would)."""
        ...

    async def submit(
        self, signal: Signal, decision: RiskDecision, *, attempt: int = 0
    ) -> Order | None:
        """Send the entry of an approved signal (None when ``refusal`` says no);
        ``attempt`` counts the earlier entries of this signal, each ended unfilled.
        Raises ``NotSent`` when it provably sent nothing."""
        ...

    def on_book(self, book: OrderBook) -> None:
        """A released book: fills of orders that reached it, exits that are due."""
        ...

    async def kill(self, why: str, *, flatten: bool) -> list[Order]:
        """Cancel every open entry order; with ``flatten`` also close every position."""
        ...

    def release(self) -> None:
        """The kill switch is off again: entries may be sent."""
        ...

    async def exit_position(self, asset_id: str, origin: str, why: str) -> Order | None:
        """Close one open position now (None: none open, or already closing)."""
        ...

    def open_positions(self) -> int: ...

    def balances(self) -> dict[str, dict[str, float]]:
        """Venue → asset → total held, as the venues last said (paper: none)."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class PaperExecutor:
    """The paper broker behind the executor shape; its fills go to ``on_fill`` and its
    executions (order + fills, for the journal) to ``on_execution``. With ``store``, an
    entry is stored (as sent) before it can reach a book: an order that was answered
    survives a crash, and a storage failure sends nothing."""

    mode = TradingMode.PAPER
    inline = True

    def __init__(
        self,
        make_broker: Callable[[Callable[[Execution], None]], PaperBroker],
        on_execution: Callable[[Execution], None],
        on_order: OrderSink,
        on_fill: FillSink,
        *,
        store: IntentStore | None = None,
    ) -> None:
        self._store = store
        self._on_execution = on_execution
        self._on_order = on_order
        self._on_fill = on_fill
        self.broker = make_broker(self._executed)

    def _executed(self, ex: Execution) -> None:
        self._on_execution(ex)
        for f in ex.fills:
            self._on_fill(f, ex.signal_id)
        self._on_order(ex.order)

    def refusal(self, signal: Signal, decision: RiskDecision) -> str | None:
        return self.broker.refusal(signal, decision)

    async def submit(
        self, signal: Signal, decision: RiskDecision, *, attempt: int = 0
    ) -> Order | None:
        order = self.broker.submit(signal, decision, attempt=attempt)
        if order is None:
            return None
        if self._store is not None:
            try:
                await self._store(order)
            except Exception as exc:
                if self.broker.withdraw(order):
                    raise NotSent(f"the intent could not be stored: {exc}") from exc
                raise
            except BaseException:
                self.broker.withdraw(order)
                raise
        self._on_order(order)
        return order

    def on_book(self, book: OrderBook) -> None:
        self.broker.on_book(book)

    async def kill(self, why: str, *, flatten: bool) -> list[Order]:
        now = self.broker.clock.now_ms()
        cancelled = self.broker.cancel_entries(now, why)
        if flatten:
            self.broker.flatten(now, why)
        return cancelled

    def release(self) -> None:
        pass  # the broker keeps no switch of its own: the service refuses while killed

    async def exit_position(self, asset_id: str, origin: str, why: str) -> Order | None:
        order = self.broker.close_one(asset_id, origin, self.broker.clock.now_ms(), why)
        if order is not None:
            self._on_order(order)
        return order

    def balances(self) -> dict[str, dict[str, float]]:
        return {}  # paper fills against the live book: no venue account

    def open_positions(self) -> int:
        return self.broker.open_trades()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None
