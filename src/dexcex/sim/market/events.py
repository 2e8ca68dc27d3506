"""Ground-truth events of the simulated market: what happened, in market time (ms).

Every wire message the simulator sends is rendered from one of these, and every one of
these is written to the ground-truth log, so a test can check what a client should have
received, and an evaluation can check which DEX bursts were informed.
"""

from __future__ import annotations

import msgspec

__all__ = [
    "Burst",
    "CexBbo",
    "CexBookDelta",
    "CexMove",
    "CexTradeEv",
    "DexLiquidityEv",
    "DexSwapEv",
    "FaultEv",
    "RegimeEv",
    "SimEvent",
]

Level = tuple[float, float]  # (price, size); size 0 removes the level


class CexBookDelta(msgspec.Struct, frozen=True, gc=False, tag="book", array_like=True):
    """Changed levels of one venue's book. Versions ``first..last`` (MEXC fromVersion..
    toVersion; Bybit uses ``last`` as ``u``) follow the previous delta's ``last`` + 1."""

    t: int
    venue: str
    symbol: str
    first: int
    last: int
    bids: list[Level]
    asks: list[Level]


class CexBbo(msgspec.Struct, frozen=True, gc=False, tag="bbo", array_like=True):
    t: int
    venue: str
    symbol: str
    bid: float
    bid_size: float
    ask: float
    ask_size: float


class CexTradeEv(msgspec.Struct, frozen=True, gc=False, tag="trade", array_like=True):
    t: int
    venue: str
    symbol: str
    trade_id: int
    side: str  # taker side: "buy" | "sell"
    price: float
    size: float


class DexSwapEv(msgspec.Struct, frozen=True, gc=False, tag="swap", array_like=True):
    """``flow`` says why the swap happened: noise, arb, informed or decoy."""

    t: int
    asset_id: str
    chain: str
    dex: str
    pool: str
    token: str
    tx: str
    owner: str
    side: str  # taker side of the base token
    base_amount: float
    quote_amount: float
    usd: float
    price_usd: float
    price_native: float
    base_reserve: float
    quote_reserve: float
    flow: str
    episode: int


class DexLiquidityEv(msgspec.Struct, frozen=True, gc=False, tag="liq", array_like=True):
    t: int
    asset_id: str
    chain: str
    dex: str
    pool: str
    tx: str
    owner: str
    kind: str  # "add" | "remove"
    base_delta: float
    quote_delta: float
    base_reserve: float
    quote_reserve: float
    liquidity_usd: float
    episode: int


class Burst(msgspec.Struct, frozen=True, gc=False, tag="burst", array_like=True):
    """A burst of one-sided DEX flow (written when it starts, with its planned outcome).

    ``kind`` informed or decoy; ``followed`` whether a CEX move of ``move_bps`` in
    ``direction`` starts ``lag_ms`` after ``t`` (informed only, with probability p).
    """

    t: int
    asset_id: str
    episode: int
    kind: str
    direction: int
    end: int
    followed: bool
    lag_ms: int
    move_bps: float
    move_duration_ms: int
    drain: bool


class CexMove(msgspec.Struct, frozen=True, gc=False, tag="move", array_like=True):
    t: int
    asset_id: str
    episode: int
    bps: float
    duration_ms: int
    mid_before: float


class RegimeEv(msgspec.Struct, frozen=True, gc=False, tag="regime", array_like=True):
    t: int
    asset_id: str
    regime: str


class FaultEv(msgspec.Struct, frozen=True, gc=False, tag="fault", array_like=True):
    """A fault the world applied: what, to which target, and any detail (e.g. skipped ids)."""

    t: int
    kind: str
    target: str
    detail: str = ""


SimEvent = (
    CexBookDelta
    | CexBbo
    | CexTradeEv
    | DexSwapEv
    | DexLiquidityEv
    | Burst
    | CexMove
    | RegimeEv
    | FaultEv
)
