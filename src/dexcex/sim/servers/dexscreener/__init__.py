"""The simulated DexScreener: one package, the same shape as every simulated venue."""

from dexcex.sim.servers.dexscreener.server import DexScreenerServer

__all__ = ["DexScreenerServer"]
