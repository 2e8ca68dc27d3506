"""Reconnect delays: exponential with full jitter, capped.

``delay(n)`` for the n-th consecutive failure is uniform in ``[0, min(cap, base·2ⁿ⁻¹)]``
("full jitter"): many streams failing together (a venue restart) spread their reconnects
instead of stampeding back at the same instant.
"""

from __future__ import annotations

import random

__all__ = ["Backoff"]


class Backoff:
    def __init__(self, base_s: float, cap_s: float, rng: random.Random | None = None) -> None:
        if base_s <= 0 or cap_s < base_s:
            raise ValueError(f"backoff: need 0 < base ({base_s}) <= cap ({cap_s})")
        self.base_s = base_s
        self.cap_s = cap_s
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security

    def ceiling(self, failures: int) -> float:
        """The largest delay after ``failures`` consecutive failures (≥ 1)."""
        n = max(1, failures)
        return float(min(self.cap_s, self.base_s * 2.0 ** min(n - 1, 60)))

    def delay(self, failures: int) -> float:
        return self._rng.uniform(0.0, self.ceiling(failures))
