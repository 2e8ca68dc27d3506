"""Time as a dependency: the pure layers receive a clock, they never read the wall.

Live runs pass the system clock, replay and tests pass a ``ManualClock`` that the event
source advances; the code that uses it cannot tell the difference.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["Clock", "ManualClock"]


class Clock(Protocol):
    def now_ms(self) -> int:
        """Current time in integer milliseconds UTC."""
        ...


class ManualClock:
    """A clock that only moves when told to (virtual time). Never goes backwards."""

    __slots__ = ("_now",)

    def __init__(self, start_ms: int = 0) -> None:
        self._now = start_ms

    def now_ms(self) -> int:
        return self._now

    def set(self, ts_ms: int) -> None:
        if ts_ms > self._now:  # noqa: PLR1730 (max() costs a call; this runs per event)
            self._now = ts_ms

    def advance(self, delta_ms: int) -> None:
        if delta_ms < 0:
            raise ValueError("a clock does not go backwards")
        self._now += delta_ms
