"""Which pool is which: token decimals and the pool → asset mapping, from configuration.

A pool event file names its pool (demeter-fetch: ``<chain>-<pool>-<date>….csv``) but not
its tokens. What the pool trades comes from the packaged ``known_pools.toml`` or from a
``dexcex-pools.toml`` sidecar in the data's folder or any folder above it (nearest
first). A pool found nowhere is not guessed: the file is skipped with that reason.

Sidecar format (TOML), one table per pool::

    [[pool]]
    chain = "polygon"            # solana | ethereum | bsc | polygon
    address = "0x…"
    dex = "uniswap-v3"
    token0 = "USDC"              # symbols, in the pool's token order
    decimals0 = 6
    token1 = "WETH"
    decimals1 = 18
    base = 1                     # which token is the asset (0 or 1)
    asset = "ETH"                # the asset's ticker (its CEX market is ASSET/USDT)
    quote_usd = 1.0              # optional: USD per quote token, when it is no stablecoin
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dexcex.domain import Chain, ConfigError

__all__ = ["SIDECAR", "USD_STABLES", "PoolInfo", "PoolRegistry", "registry_for"]

SIDECAR = "dexcex-pools.toml"
USD_STABLES = frozenset(
    {"USDC", "USDT", "DAI", "BUSD", "TUSD", "USDP", "FRAX", "LUSD", "SUSD", "GUSD", "USDC.E"}
)


class _PoolEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    chain: Chain
    address: str
    dex: Annotated[str, Field(min_length=1, max_length=32)] = "uniswap-v3"
    token0: Annotated[str, Field(min_length=1, max_length=20)]
    decimals0: Annotated[int, Field(ge=0, le=36)]
    token1: Annotated[str, Field(min_length=1, max_length=20)]
    decimals1: Annotated[int, Field(ge=0, le=36)]
    base: Literal[0, 1]
    asset: Annotated[str, Field(min_length=1, max_length=20)]
    quote_usd: Annotated[float, Field(gt=0)] | None = None


class _PoolFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    pool: list[_PoolEntry] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PoolInfo:
    """One pool as the readers need it; amounts are divided by ``10**decimals``."""

    chain: Chain
    address: str
    dex: str
    base_index: int  # 0 or 1: which of the pool's tokens is the asset
    base_symbol: str
    base_decimals: int
    quote_symbol: str
    quote_decimals: int
    asset_symbol: str
    quote_usd: float | None  # None: the quote token has no USD price (cannot be valued)
    source: str  # the file that said so

    @property
    def asset_id(self) -> str:
        return self.asset_symbol.lower()


def _info(e: _PoolEntry, source: str) -> PoolInfo:
    tokens = ((e.token0, e.decimals0), (e.token1, e.decimals1))
    base, quote = tokens[e.base], tokens[1 - e.base]
    quote_usd = e.quote_usd
    if quote_usd is None and quote[0].upper() in USD_STABLES:
        quote_usd = 1.0
    return PoolInfo(
        e.chain,
        e.address.lower() if e.chain.is_evm else e.address,
        e.dex,
        e.base,
        base[0],
        base[1],
        quote[0],
        quote[1],
        e.asset.upper(),
        quote_usd,
        source,
    )


@cache
def _load(path: Path) -> dict[tuple[Chain, str], PoolInfo]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        entries = _PoolFile.model_validate(data).pool
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']}") from None
    return {(e.chain, _info(e, path.name).address): _info(e, path.name) for e in entries}


def _packaged() -> Path:
    return Path(str(resources.files("dexcex.evaluation.readers") / "known_pools.toml"))


class PoolRegistry:
    """Pools known for one data file: its sidecars (nearest folder first), then the
    packaged list."""

    def __init__(self, files: list[Path]) -> None:
        self.files = files

    def lookup(self, chain: Chain, address: str) -> PoolInfo | None:
        key = (chain, address.lower() if chain.is_evm else address)
        for f in self.files:
            info = _load(f).get(key)
            if info is not None:
                return info
        return None

    def any_chain(self, address: str) -> PoolInfo | None:
        """The pool by address alone, when the file does not name its chain."""
        for f in self.files:
            for (_, addr), info in _load(f).items():
                if addr == address.lower():
                    return info
        return None


def registry_for(data_file: Path) -> PoolRegistry:
    """The registry that applies to ``data_file``."""
    files: list[Path] = []
    for folder in data_file.resolve().parents:
        side = folder / SIDECAR
        if side.is_file():
            files.append(side)
    files.append(_packaged())
    return PoolRegistry(files)
