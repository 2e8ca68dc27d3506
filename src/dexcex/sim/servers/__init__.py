"""The simulated venues' servers, one package each (``auth``, ``rest``, ``ws``,
``frames``, and ``trading`` for the CEXes). They see the world only through
``port.ServerWorld``."""

from __future__ import annotations

from dexcex.sim.servers.birdeye import BirdeyeServer
from dexcex.sim.servers.bybit import BybitServer
from dexcex.sim.servers.dexscreener import DexScreenerServer
from dexcex.sim.servers.mexc import MexcServer
from dexcex.sim.servers.port import ServerWorld, VenueServer

__all__ = ["make_servers"]


def make_servers(world: ServerWorld) -> list[VenueServer]:
    """One server per simulated venue and source."""
    return [MexcServer(world), BybitServer(world), BirdeyeServer(world), DexScreenerServer(world)]
