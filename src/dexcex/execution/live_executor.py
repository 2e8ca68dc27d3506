"""The live trader behind the executor shape: network work in tasks of its own, so the
engine never waits on a venue; reconciliation with the venues before the first order."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from dexcex.domain import Order, OrderBook, RiskDecision, Signal, TradingMode
from dexcex.execution.live import LiveTrader
from dexcex.logs import get_logger

__all__ = ["LiveExecutor"]

_log = get_logger("dexcex.execution")
Spawn = Callable[[Coroutine[Any, Any, Any]], None]


class LiveExecutor:
    mode = TradingMode.LIVE
    inline = False

    def __init__(self, trader: LiveTrader, spawn: Spawn) -> None:
        self.trader = trader
        self._spawn = spawn

    def refusal(self, signal: Signal, decision: RiskDecision) -> str | None:
        return self.trader.refusal(signal, decision)

    async def submit(
        self, signal: Signal, decision: RiskDecision, *, attempt: int = 0
    ) -> Order | None:
        return await self.trader.submit(signal, decision, attempt=attempt)

    def on_book(self, book: OrderBook) -> None:
        for trade, why in self.trader.due_exits(book):
            trade.exiting = True  # one closing order at a time
            self._spawn(self.trader.close(trade, why))

    async def kill(self, why: str, *, flatten: bool) -> list[Order]:
        cancelled = await self.trader.kill()
        if flatten:
            for trade in list(self.trader.trades.values()):
                if not trade.exiting:
                    trade.exiting = True
                    self._spawn(self.trader.close(trade, why))
        return cancelled

    def release(self) -> None:
        self.trader.kill_switch = False

    async def exit_position(self, asset_id: str, origin: str, why: str) -> Order | None:
        trade = self.trader.trades.get((asset_id, origin))
        if trade is None or trade.exiting:
            return None
        return await self.trader.close(trade, why)

    def balances(self) -> dict[str, dict[str, float]]:
        return {v: {a: float(q) for a, q in b.items()} for v, b in self.trader.balances.items()}

    def open_positions(self) -> int:
        return len(self.trader.trades)

    async def start(self) -> None:
        self._spawn(self._reconcile())

    async def _reconcile(self) -> None:
        """Until reconciled: live orders wait for it, and a venue that does not answer
        yet is asked again, less and less often."""
        delay = 1.0
        while not self.trader.ready:
            try:
                await self.trader.reconcile()
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is None or task.cancelling():
                    raise  # stopped: not a failure
                # a shared task it waited on (ccxt's market loading) was cancelled by
                # another waiter: this reconciliation was not stopped, so it tries again
                _log.warning("live reconcile cancelled from elsewhere", retry_in_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)
            except Exception:
                _log.exception("live reconcile failed; new signals wait", retry_in_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)

    async def stop(self) -> None:
        await self.trader.stop()
