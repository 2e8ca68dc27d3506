"""Watched assets: one coin, its DEX identities and its CEX markets per venue."""

from __future__ import annotations

import re

import msgspec

from dexcex.domain.enums import Chain, VenueId
from dexcex.domain.errors import DomainValidationError

__all__ = ["Asset", "CexMarket", "DexIdentity", "DexPool", "normalize_address"]

_EVM_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_BASE58 = re.compile(r"^[1-9A-HJ-NP-Za-km-z]{32,44}$")
_CCXT_SYMBOL = re.compile(r"^[A-Z0-9]{1,20}/[A-Z0-9]{2,10}$")


def normalize_address(chain: Chain, address: str) -> str:
    """Canonical form of a token or pool address on ``chain``.

    EVM addresses are compared case-insensitively (checksummed and lowercase forms both
    appear in the wild), so the canonical form is lowercase. Solana addresses are base58
    and case-sensitive: kept as given, after a syntax check.
    """
    if chain.is_evm:
        if not _EVM_ADDRESS.match(address):
            raise DomainValidationError(f"{chain} address {address!r}: expected 0x + 40 hex")
        return address.lower()
    if not _BASE58.match(address):
        raise DomainValidationError(f"{chain} address {address!r}: expected 32-44 base58 chars")
    return address


class DexPool(msgspec.Struct, frozen=True):
    """A pool where the asset trades: the DEX, its address and the quote token."""

    dex: str
    address: str
    quote_symbol: str


class DexIdentity(msgspec.Struct, frozen=True):
    """The asset's token on one chain, with its main pools (most liquid first)."""

    chain: Chain
    token_address: str
    decimals: int
    pools: tuple[DexPool, ...]

    def __post_init__(self) -> None:
        if not 0 <= self.decimals <= 36:
            raise DomainValidationError(f"DexIdentity.decimals={self.decimals}: expected 0..36")
        if normalize_address(self.chain, self.token_address) != self.token_address:
            raise DomainValidationError(
                f"DexIdentity.token_address {self.token_address!r} is not canonical; "
                "use normalize_address()"
            )


class CexMarket(msgspec.Struct, frozen=True):
    """The asset's spot market on one venue, in ccxt's unified form (``WIF/USDT``)."""

    venue: VenueId
    symbol: str

    def __post_init__(self) -> None:
        if not _CCXT_SYMBOL.match(self.symbol):
            raise DomainValidationError(
                f"CexMarket.symbol={self.symbol!r}: expected unified BASE/QUOTE, e.g. WIF/USDT"
            )

    @property
    def base(self) -> str:
        return self.symbol.split("/", 1)[0]

    @property
    def quote(self) -> str:
        return self.symbol.split("/", 1)[1]

    @property
    def venue_symbol(self) -> str:
        """The venue's own id for the market (MEXC and Bybit both use ``WIFUSDT``)."""
        return self.symbol.replace("/", "")


class Asset(msgspec.Struct, frozen=True):
    """One watched coin. ``id`` is our stable key (lowercase), ``symbol`` the ticker."""

    id: str
    symbol: str
    dex: tuple[DexIdentity, ...]
    cex: tuple[CexMarket, ...]

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,31}", self.id):
            raise DomainValidationError(f"Asset.id={self.id!r}: expected [a-z0-9_-], max 32")
        if not self.dex:
            raise DomainValidationError(f"Asset {self.id}: needs at least one DEX identity")
        if not self.cex:
            raise DomainValidationError(f"Asset {self.id}: needs at least one CEX market")
        venues = [m.venue for m in self.cex]
        if len(set(venues)) != len(venues):
            raise DomainValidationError(f"Asset {self.id}: one CEX market per venue")

    def market(self, venue: VenueId) -> CexMarket | None:
        for m in self.cex:
            if m.venue is venue:
                return m
        return None

    def pools(self) -> list[tuple[Chain, DexPool]]:
        return [(d.chain, p) for d in self.dex for p in d.pools]
