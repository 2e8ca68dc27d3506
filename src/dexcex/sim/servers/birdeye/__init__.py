"""The simulated Birdeye: one package, the same shape as every simulated venue."""

from dexcex.sim.servers.birdeye.server import BirdeyeServer

__all__ = ["BirdeyeServer"]
