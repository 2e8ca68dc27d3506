"""DexScreener's Pair object (every field but the identity is optional)."""

from __future__ import annotations

import msgspec

__all__ = ["Liquidity", "Pair", "PairsEnvelope", "Token", "Txns"]


class Token(msgspec.Struct, frozen=True):
    address: str
    symbol: str | None = None
    name: str | None = None


class Txns(msgspec.Struct, frozen=True):
    buys: int = 0
    sells: int = 0


class Liquidity(msgspec.Struct, frozen=True):
    usd: float | None = None
    base: float | None = None
    quote: float | None = None


class Pair(msgspec.Struct, frozen=True):
    chainId: str  # noqa: N815 - DexScreener's names
    dexId: str  # noqa: N815
    pairAddress: str  # noqa: N815
    baseToken: Token  # noqa: N815
    priceNative: str  # noqa: N815
    priceUsd: str | None = None  # noqa: N815
    quoteToken: Token | None = None  # noqa: N815
    txns: dict[str, Txns] | None = None
    volume: dict[str, float] | None = None
    liquidity: Liquidity | None = None
    pairCreatedAt: int | None = None  # noqa: N815


class PairsEnvelope(msgspec.Struct, frozen=True):
    schemaVersion: str  # noqa: N815
    pairs: list[Pair] | None = None
