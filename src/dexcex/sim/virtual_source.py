"""The simulated market as an engine event source in virtual time: stepped a second at a
time, as fast as the machine goes, its events turned into domain events (``sim.convert``)
— no servers, no sockets (virtual time cannot wait for them; the connectors are tested
against the same simulator's servers elsewhere)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from dexcex.domain import Asset, MarketEvent
from dexcex.sim.convert import SimToDomain
from dexcex.sim.market.events import Burst, CexMove
from dexcex.sim.world import SimWorld

__all__ = ["SimSteps"]

_STEP_MS = 1000


class SimSteps:
    timed = True
    drained = 0
    caught_up = False

    def __init__(
        self,
        world: SimWorld,
        known: dict[str, Asset],
        until_ms: int,
        *,
        on_step: Callable[[int], None] | None = None,
        step_ms: int = _STEP_MS,
    ) -> None:
        self.world = world
        self.until_ms = until_ms
        self.on_step = on_step
        self.step_ms = step_ms
        self.t = world.scenario.start_ms
        self.events = 0
        self.truth: list[Burst | CexMove] = []
        self._conv = SimToDomain(known)
        self._raw: list[object] = []
        world.market.sinks.append(self._raw.append)

    async def next(self) -> Sequence[MarketEvent | Asset] | None:
        if self.t >= self.until_ms:
            return None
        self.t += self.step_ms
        if self.on_step is not None:
            self.on_step(self.t)
        self.world.market.run_until(self.t)
        out: list[MarketEvent | Asset] = []
        for raw in self._raw:
            for item in self._conv.convert(raw):
                if isinstance(item, (Burst, CexMove)):
                    self.truth.append(item)
                else:
                    out.append(item)
        self._raw.clear()
        self.events += sum(1 for x in out if not isinstance(x, Asset))
        return out

    def remaining(self) -> Sequence[MarketEvent | Asset]:
        return []
