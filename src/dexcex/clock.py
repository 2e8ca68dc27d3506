"""The wall clock, for the shells (sources, venues, pipeline); the pure core never
imports this — it receives a clock."""

from __future__ import annotations

import time

__all__ = ["SystemClock"]


class SystemClock:
    """Integer milliseconds UTC from the system clock."""

    __slots__ = ()

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000
