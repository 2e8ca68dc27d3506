"""Our own rate limits, on top of ccxt's: token buckets per endpoint class, as data.

A call declares its costs (``{"ip_weight": 5}``); ``acquire`` waits until every bucket
involved has the tokens, so we stay under the venue's published limits even when
several tasks share one connection, and a 429 from the venue pauses the class.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

import msgspec

__all__ = ["RateLimit", "RateLimiter"]


class RateLimit(msgspec.Struct, frozen=True):
    """``capacity`` units per ``period_s`` seconds for one endpoint class."""

    name: str
    capacity: float
    period_s: float


class _Bucket:
    __slots__ = ("blocked_until", "capacity", "rate", "stamp", "tokens")

    def __init__(self, limit: RateLimit) -> None:
        self.capacity = limit.capacity
        self.rate = limit.capacity / limit.period_s
        self.tokens = limit.capacity
        self.stamp = time.monotonic()
        self.blocked_until = 0.0

    def wait_for(self, cost: float, now: float) -> float:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if now < self.blocked_until:
            return self.blocked_until - now
        if self.tokens >= cost:
            return 0.0
        return (cost - self.tokens) / self.rate


class RateLimiter:
    def __init__(self, limits: tuple[RateLimit, ...]) -> None:
        self._buckets = {lim.name: _Bucket(lim) for lim in limits}
        self._lock = asyncio.Lock()

    async def acquire(self, costs: Mapping[str, float]) -> float:
        """Wait until every bucket can pay; returns the seconds waited."""
        waited = 0.0
        async with self._lock:
            while True:
                now = time.monotonic()
                delay = max(
                    (self._buckets[k].wait_for(c, now) for k, c in costs.items()), default=0.0
                )
                if delay <= 0:
                    for k, c in costs.items():
                        self._buckets[k].tokens -= c
                    return waited
                await asyncio.sleep(delay)
                waited += delay

    def blocked_for(self, names: Mapping[str, float]) -> float:
        """Seconds until every class in ``names`` is unblocked (0: none is blocked)."""
        now = time.monotonic()
        until = max(
            (self._buckets[n].blocked_until for n in names if n in self._buckets), default=0
        )
        return max(0.0, until - now)

    def block(self, name: str, seconds: float) -> None:
        """The venue said 429: nothing in this class until ``seconds`` have passed."""
        bucket = self._buckets.get(name)
        if bucket is not None:
            bucket.blocked_until = max(bucket.blocked_until, time.monotonic() + seconds)
