"""The kill switch inside the execution service: engaged by a person, by the daily-loss
limit or by storage failing; followed from its stored state, which ``dexcex kill`` may
write from another process."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Coroutine
from typing import Any

from dexcex.domain import Clock, Order
from dexcex.execution.executor import Executor, RiskInput
from dexcex.execution.kill_switch import KillReason, KillState, KillSwitch
from dexcex.logs import get_logger
from dexcex.pipeline.ports import Io
from dexcex.risk.state import PortfolioState

__all__ = ["Switching"]

_log = get_logger("dexcex.execution")
_SWITCH_READ_MS = 3_000  # how often the stored kill switch is looked at


class Switching(ABC):
    # what the service holds (``execution.service.ExecutionService``'s fields)
    clock: Clock
    executor: Executor
    kill_switch: KillSwitch
    risk: RiskInput | None
    io: Io
    _next_switch_read: int

    @abstractmethod
    def portfolio(self) -> PortfolioState:
        """The service's: what risk decides on."""

    @abstractmethod
    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """The service's: a task it keeps and reports the failure of."""

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
        self.executor.release()
        if self.risk is not None:
            self.risk.set_portfolio(self.portfolio())
        return self.kill_switch.state

    async def _follow_stored_switch(self, t: int) -> None:
        """The switch as stored, every few seconds: ``dexcex kill`` may have written it
        from another process (no page reachable, another port) — it binds here too."""
        if self.kill_switch.store is None or t < self._next_switch_read:
            return
        self._next_switch_read = t + _SWITCH_READ_MS
        try:
            stored = await self.io(self.kill_switch.stored)
        except Exception as exc:  # storage trouble is the journal's to report
            _log.warning("kill switch: could not read its stored state", error=str(exc))
            return
        if stored is None or stored.on == self.kill_switch.on:
            return
        if stored.on:
            reason = stored.reason or KillReason.MANUAL
            self._engage(reason, stored.detail)
            self.spawn(self.executor.kill(f"kill switch: {reason.value}", flatten=False))
        else:
            await self.release()

    def _storage_failed(self, detail: str) -> None:
        if self.kill_switch.on:
            return
        # engaged now; the cancels (which may need the failing store) in a task
        self._engage(KillReason.STORAGE, detail)
        self.spawn(self.executor.kill(f"kill switch: {KillReason.STORAGE.value}", flatten=False))
