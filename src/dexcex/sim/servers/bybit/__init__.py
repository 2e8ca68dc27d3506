"""The simulated Bybit: one package, the same shape as every simulated venue."""

from dexcex.sim.servers.bybit.server import BybitServer

__all__ = ["BybitServer"]
