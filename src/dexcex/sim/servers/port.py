"""The narrow view of the simulated world that a venue server may see.

Servers read market state (books, recent trades, pools), consult and consume the fault
schedule, and place orders on their venue's exchange; they never drive the market or
see the other servers. ``SimWorld`` implements this Protocol; servers import only this
module, so ``world`` → ``servers`` is the one direction of the dependency.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from dexcex.sim.exchange import SimExchange
from dexcex.sim.faults import FaultController
from dexcex.sim.market.events import SimEvent
from dexcex.sim.scenario import Scenario
from dexcex.sim.state import CexView, PoolView

__all__ = ["ServerWorld", "VenueServer"]


class ServerWorld(Protocol):
    @property
    def scenario(self) -> Scenario: ...

    @property
    def faults(self) -> FaultController: ...

    @property
    def exchanges(self) -> Mapping[str, SimExchange]: ...

    @property
    def cex_views(self) -> Mapping[tuple[str, str], CexView]: ...

    @property
    def pool_views(self) -> Mapping[str, PoolView]: ...

    @property
    def token_pools(self) -> Mapping[str, Sequence[PoolView]]: ...

    def market_now(self) -> int:
        """Market time, ms UTC (what market-data timestamps carry)."""
        ...

    def venue_now(self) -> int:
        """The venues' own wall clock, ms UTC (server time, signature windows); it may
        run ahead of or behind the host's (``Realism.clock_offset_ms``)."""
        ...


class VenueServer(Protocol):
    """What the world asks of every server: publish events, say where it listens."""

    name: str

    def publish(self, ev: SimEvent, what: str) -> None: ...

    def url_map(self, port: int) -> dict[str, str]: ...

    async def start(self, host: str, port: int = 0) -> int: ...

    async def stop(self) -> None: ...

    def disconnect_all(self) -> None: ...
