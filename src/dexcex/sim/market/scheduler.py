"""The clock of the synthetic market: a heap of timed actions, and the sinks events go to.

The action mixins (``DexFlows``, ``Bursts``) and ``MarketSim`` share it: every action is
scheduled here, in one order, so one seed always gives the same events in the same order.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from typing import Any

from dexcex.sim.market.events import SimEvent
from dexcex.sim.scenario import Scenario

__all__ = ["Scheduler", "Sink"]

Sink = Callable[[SimEvent], None]


def _call(fn: Callable[[], None]) -> None:
    fn()


class Scheduler:
    scenario: Scenario

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.now = scenario.start_ms
        self.sinks: list[Sink] = []
        self._heap: list[tuple[int, int, Callable[[Any], None], Any]] = []
        self._seq = 0
        self._episode = 0
        self.events_emitted = 0

    @staticmethod
    def _exp(rng: random.Random, rate_hz: float) -> int:
        return 1 + int(rng.expovariate(rate_hz) * 1000)

    def _at(self, t: int, action: Callable[[Any], None], a: Any) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (t, self._seq, action, a))

    def schedule(self, t_ms: int, fn: Callable[[], None]) -> None:
        """Run ``fn`` at market time ``t_ms``, in order with the market's own actions."""
        self._at(max(t_ms, self.now), _call, fn)

    def emit(self, ev: SimEvent) -> None:
        self.events_emitted += 1
        for sink in self.sinks:
            sink(ev)

    def run_until(self, t_ms: int) -> None:
        """Process every action scheduled up to and including ``t_ms``."""
        heap = self._heap
        pop = heapq.heappop
        while heap and heap[0][0] <= t_ms:
            t, _, action, a = pop(heap)
            self.now = t
            action(a)
        self.now = max(self.now, t_ms)
