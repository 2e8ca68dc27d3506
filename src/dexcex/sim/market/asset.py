"""Per-asset state of the synthetic market (what the actions of ``MarketSim`` mutate)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from dexcex.sim.market.book import SimBook
from dexcex.sim.market.ids import tx_hash
from dexcex.sim.market.pool import Pool
from dexcex.sim.market.specs import CexMarketSpec

__all__ = ["AssetSim", "Move"]


@dataclass(slots=True)
class Move:
    per_ms: float  # log-return per ms while active
    start: int
    until: int


@dataclass(slots=True)
class AssetSim:
    id: str
    rng: random.Random
    mid: float
    regime: str
    books: dict[str, SimBook]
    specs: dict[str, CexMarketSpec]
    basis: dict[str, float]
    pools: list[Pool]
    smart: list[str]
    retail: list[str]
    lps: list[str]
    arb: str
    spread_bps: float
    moves: list[Move] = field(default_factory=list)
    trade_ids: dict[str, int] = field(default_factory=dict)
    p_move: float = 0.8  # chance that a CEX move follows one of its informed bursts
    taker_bias: float = 0.0  # CEX taker buy-probability shift while a move runs
    tx_n: int = 0

    def next_tx(self, chain: str) -> str:
        self.tx_n += 1
        return tx_hash(chain, f"{self.id}:{self.tx_n}")
