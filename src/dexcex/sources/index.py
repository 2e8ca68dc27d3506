"""Which watched asset a token or pool address belongs to (addresses normalised once)."""

from __future__ import annotations

import msgspec

from dexcex.domain import Asset, Chain, DomainValidationError, normalize_address

__all__ = ["AssetIndex", "PoolRef"]


class PoolRef(msgspec.Struct, frozen=True):
    asset_id: str
    chain: Chain
    dex: str
    address: str
    quote_symbol: str
    token: str


class AssetIndex:
    def __init__(self, assets: list[Asset]) -> None:
        self.assets = {a.id: a for a in assets}
        self.tokens: dict[tuple[Chain, str], str] = {}
        self.pools: dict[tuple[Chain, str], PoolRef] = {}
        for a in assets:
            for d in a.dex:
                self.tokens[(d.chain, d.token_address)] = a.id
                for p in d.pools:
                    self.pools[(d.chain, p.address)] = PoolRef(
                        a.id, d.chain, p.dex, p.address, p.quote_symbol, d.token_address
                    )

    @staticmethod
    def _norm(chain: Chain, address: str) -> str | None:
        try:
            return normalize_address(chain, address)
        except DomainValidationError:
            return None

    def asset_of_token(self, chain: Chain, address: str) -> str | None:
        a = self._norm(chain, address)
        return self.tokens.get((chain, a)) if a else None

    def pool(self, chain: Chain, address: str) -> PoolRef | None:
        a = self._norm(chain, address)
        return self.pools.get((chain, a)) if a else None

    def tokens_on(self, chain: Chain) -> list[str]:
        return [t for (c, t) in self.tokens if c is chain]

    def pools_on(self, chain: Chain) -> list[PoolRef]:
        return [p for (c, _), p in self.pools.items() if c is chain]
