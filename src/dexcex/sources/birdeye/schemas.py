"""Birdeye wire structures, with Birdeye's own field names (timestamps in seconds)."""

from __future__ import annotations

import msgspec

__all__ = ["Leg", "MarketData", "PriceData", "PriceFrame", "PriceValue", "TxsData", "TxsFrame"]


class Leg(msgspec.Struct, frozen=True):
    """One side of a swap: ``from`` is what the owner paid, ``to`` what they received."""

    address: str
    uiAmount: float  # noqa: N815 - Birdeye's names
    decimals: int | None = None
    symbol: str | None = None
    price: float | None = None
    nearestPrice: float | None = None  # noqa: N815


class TxsData(msgspec.Struct, frozen=True, rename={"from_": "from"}):
    blockUnixTime: int  # noqa: N815
    owner: str
    txHash: str  # noqa: N815
    from_: Leg
    to: Leg
    volumeUSD: float | None = None  # noqa: N815
    side: str | None = None
    tokenAddress: str | None = None  # noqa: N815
    poolId: str | None = None  # noqa: N815
    source: str | None = None
    tokenPrice: float | None = None  # noqa: N815
    network: str | None = None


class TxsFrame(msgspec.Struct, frozen=True):
    type: str
    data: TxsData


class PriceData(msgspec.Struct, frozen=True):
    c: float
    unixTime: int  # noqa: N815
    address: str
    o: float | None = None
    h: float | None = None
    l: float | None = None  # noqa: E741
    v: float | None = None
    type: str | None = None
    symbol: str | None = None


class PriceFrame(msgspec.Struct, frozen=True):
    type: str
    data: PriceData


class MarketData(msgspec.Struct, frozen=True):
    address: str
    price: float | None = None
    liquidity: float | None = None


class PriceValue(msgspec.Struct, frozen=True):
    value: float
    updateUnixTime: int  # noqa: N815
    liquidity: float | None = None
