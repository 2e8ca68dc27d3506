"""A paper run in virtual time with hooks the serving tests need: every delivered
output seen, and optionally the DEX flow scaled from some moment on (drift)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import msgspec

from dexcex.config import Settings
from dexcex.core import CoreOutput
from dexcex.domain import Asset, DexSwap, MarketEvent, Order
from dexcex.roots.virtual import VirtualEngine, virtual_engine
from dexcex.sim.scenario import Scenario
from dexcex.sim.virtual_source import SimSteps
from dexcex.sim.world import SimWorld
from dexcex.store import Database


class Shifted:
    """The simulator's events, every DEX swap's size × ``factor`` from ``at_ms`` on."""

    timed = True
    drained = 0

    def __init__(self, inner: SimSteps, at_ms: int | None, factor: float) -> None:
        self.inner, self.at_ms, self.factor = inner, at_ms, factor

    async def next(self) -> Sequence[MarketEvent | Asset] | None:
        out = await self.inner.next()
        if out is None or self.at_ms is None or self.inner.t < self.at_ms:
            return out
        f = self.factor
        return [
            msgspec.structs.replace(
                e,
                usd_value=e.usd_value * f,
                base_amount=e.base_amount * f,
                quote_amount=e.quote_amount * f,
            )
            if isinstance(e, DexSwap)
            else e
            for e in out
        ]

    def remaining(self) -> Sequence[MarketEvent | Asset]:
        return []


def run(
    settings: Settings,
    sc: Scenario,
    hours: float,
    db: Database,
    on_out: Callable[[CoreOutput], None] | None = None,
    *,
    shift_after_h: float | None = None,
    factor: float = 10.0,
    on_order: Callable[[Order, int], None] | None = None,
    on_start: Callable[[VirtualEngine], None] | None = None,
) -> VirtualEngine:
    async def go() -> VirtualEngine:
        ve = virtual_engine(settings, db=db, auto=True, start_ms=sc.start_ms)
        assert ve.execution is not None
        if on_order is not None:
            clock = ve.clock
            ve.execution.listeners.append(lambda o: on_order(o, clock.now_ms()))
        if on_out is not None:
            ve.engine.on_delivered.append(lambda outs, _now: [on_out(o) for o in outs])
        if on_start is not None:
            on_start(ve)
        known = {a.id: a for a in settings.domain_assets()}
        end = sc.start_ms + int(hours * 3_600_000)
        at = None if shift_after_h is None else sc.start_ms + int(shift_after_h * 3_600_000)
        await ve.engine.run(Shifted(SimSteps(SimWorld(sc), known, end), at, factor))
        await ve.execution.stop()
        return ve

    return asyncio.run(go())
