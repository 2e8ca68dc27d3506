"""Writing the journal on its cadence, and what a failed write does: the batch is put
back, the next attempt waits longer (doubling, capped), the failure is shown red
(``faults``), and after ``STORAGE_RETRIES`` in a row the owner is told to stop trading —
nothing new may be traded that could not be stored. At shutdown a few more tries, then
what is left is logged, never silently dropped."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from dexcex.domain import Clock
from dexcex.execution.journal import Journal
from dexcex.logs import get_logger
from dexcex.pipeline.faults import Faults
from dexcex.pipeline.ports import Io

__all__ = ["STORAGE_RETRIES", "FlushPolicy", "JournalFlusher"]

_log = get_logger("dexcex.execution")
STORAGE_RETRIES = 6  # failed journal writes in a row before trading stops
_RETRY_DOUBLINGS = 5  # a failed write is retried after 1, 2, 4 … 32 cadences
_STOP_TRIES = 3  # writes tried at shutdown before what is left is given up (and logged)


@dataclass(frozen=True)
class FlushPolicy:
    """When the journal is written: every ``every_ms`` of ``clock``."""

    clock: Clock
    every_ms: int


class JournalFlusher:
    def __init__(
        self,
        journal: Journal,
        policy: FlushPolicy,
        io: Io,
        clock: Clock,
        faults: Faults,
        give_up: Callable[[str], None],
    ) -> None:
        self.journal = journal
        self.policy = policy
        self.io = io
        self.clock = clock  # the stamp written rows carry
        self.faults = faults
        self.give_up = give_up  # told at every failure past the bound: the kill switch
        self.failures = 0  # consecutive failed writes
        self.next_ms = 0

    def due(self, final: bool) -> bool:
        """Whether this step writes (the cadence, or the end); moves the cadence on."""
        t = self.policy.clock.now_ms()
        if not final and t < self.next_ms:
            return False
        self.next_ms = t + self.policy.every_ms  # (a failed write pushes it further)
        return True

    async def flush(self) -> bool:
        """Write what the journal holds; True when it all went in."""
        batch = self.journal.detach()
        try:
            await self.io(batch.flush, self.clock.now_ms())
            ok = True
        except Exception as exc:
            ok = False
            self.journal.requeue(batch)
            self.failures += 1
            n = self.failures
            self.faults.failed("storage", exc)
            delay = self.policy.every_ms * 2 ** min(n - 1, _RETRY_DOUBLINGS)
            self.next_ms = self.policy.clock.now_ms() + delay
            if n >= STORAGE_RETRIES:
                self.give_up(f"{n} journal writes failed in a row: {type(exc).__name__}")
        j = self.journal
        j.written_signals += batch.written_signals
        j.written_orders += batch.written_orders
        j.written_outcomes += batch.written_outcomes
        j.conflicts += batch.conflicts
        if ok and self.failures:
            self.failures = 0
            self.faults.recovered("storage")
        return ok

    async def last(self) -> None:
        """At shutdown: a few more tries, then what could not be written is logged."""
        for i in range(_STOP_TRIES):
            if await self.flush():
                return
            await asyncio.sleep(0.2 * 2**i)
        j = self.journal
        _log.error(
            "shutdown: could not write what execution holds",
            orders=len(j.executions),
            outcomes=len(j.outcomes),
            expired=len(j.expired),
        )
