"""The simulated MEXC: one package, the same shape as every simulated venue."""

from dexcex.sim.servers.mexc.server import MexcServer

__all__ = ["MexcServer"]
