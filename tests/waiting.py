"""Waiting for conditions, never for time: the suite runs on busy two-core machines.

Each helper polls a condition until it holds or a generous deadline passes; on the
deadline the test fails saying what it waited for."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from dexcex.sim.world import SimWorld

__all__ = ["market_ms", "until", "until_market", "until_sync"]


async def until(cond: Callable[[], bool], limit_s: float = 30.0, what: str = "") -> None:
    """Poll ``cond`` (what it watches has no event to await) until it holds."""
    deadline = time.monotonic() + limit_s
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {limit_s:g} s: {what or cond}")
        await asyncio.sleep(0.02)


def until_sync(cond: Callable[[], bool], limit_s: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + limit_s
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {limit_s:g} s: {what or cond}")
        time.sleep(0.05)


def market_ms(world: SimWorld) -> int:
    assert world.clock is not None
    return world.clock.now_ms()


async def until_market(world: SimWorld, target_ms: int, limit_s: float = 120.0) -> None:
    """Until the simulated market's clock reaches ``target_ms`` (and it has generated the
    market up to there)."""
    await until(
        lambda: market_ms(world) >= target_ms and world.market.now >= target_ms,
        limit_s,
        f"market time {target_ms}",
    )
