"""The engine's seams, as small Protocols: what it reads events from, where it stores
signals, what it hands them to, and how it runs blocking I/O.

Each has more than one implementation (a live bus or recorded files; a database or
nothing; paper or live execution; a worker thread or inline), chosen by a shell in
``dexcex.roots``; the engine knows only these shapes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from dexcex.core import CoreOutput
from dexcex.domain import Asset, MarketEvent, RiskDecision, Signal

__all__ = [
    "EventSource",
    "ExecutionPort",
    "Io",
    "Listener",
    "SignalStore",
    "SourceFilter",
    "inline",
    "threaded",
]

T = TypeVar("T")

Listener = Callable[[MarketEvent], None]


class EventSource(Protocol):
    """Where the engine's events come from.

    Every event is stepped at its own ``ts_recv`` on the engine's ManualClock. ``timed``:
    the events are all there is (recorded and simulated data); otherwise (a live bus) the
    wall clock also releases what is due once ``caught_up``: the last batch emptied it.
    ``drained``: events taken from a bus so far (what a Redis consumer acknowledges)."""

    @property
    def timed(self) -> bool: ...

    @property
    def caught_up(self) -> bool: ...

    @property
    def drained(self) -> int: ...

    async def next(self) -> Sequence[MarketEvent | Asset] | None:
        """The next batch ([] when nothing came for a while), or None when exhausted."""
        ...

    def remaining(self) -> Sequence[MarketEvent | Asset]:
        """What is left at the end (a bus's queue; nothing for files)."""
        ...


class SignalStore(Protocol):
    def add_decided_new(self, pairs: list[tuple[Signal, RiskDecision]]) -> set[str]:
        """Store the pairs not stored before; the ids of those stored now."""
        ...


class ExecutionPort(Protocol):
    """What the engine hands stored signals to, and lets keep house after each step."""

    async def offer(self, out: CoreOutput) -> None: ...

    async def tick(self, now_ms: int, *, final: bool = False) -> None: ...


class SourceFilter(Protocol):
    def excludes(self, ev: MarketEvent) -> bool:
        """Keep this event from the core (its source disagrees with the others)."""
        ...


class Io(Protocol):
    async def __call__(self, fn: Callable[..., T], /, *args: Any) -> T: ...


async def threaded(fn: Callable[..., T], /, *args: Any) -> T:
    """Blocking work off the event loop (live: the loop also serves streams and the page)."""
    return await asyncio.to_thread(fn, *args)


async def inline(fn: Callable[..., T], /, *args: Any) -> T:
    """Blocking work in place (virtual time: nothing else waits, and order is exact)."""
    return fn(*args)
