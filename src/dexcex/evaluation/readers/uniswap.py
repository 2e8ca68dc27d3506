"""Uniswap v3 pool events as CSV (demeter-fetch: ``block_number, block_timestamp, tx_type,
…, amount0, amount1, total_liquidity, …, sqrtPriceX96, …``): swaps and, from MINT/BURN
rows (and at most once a minute otherwise), the in-range liquidity.

The file name says the chain and the pool (``<chain>-<pool>-<date>….csv``); which token
is the asset and the decimals of both come from the pool registry. Amounts are signed
from the pool's view: > 0 means the token went into the pool (the trader sold it).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from dexcex.domain import (
    Asset,
    Chain,
    DexIdentity,
    DexPool,
    DexSwap,
    DomainValidationError,
    PoolLiquidity,
    Side,
)
from dexcex.evaluation.readers.base import Item, Reader, cex_asset_markets, open_text
from dexcex.evaluation.readers.registry import SIDECAR, PoolInfo, registry_for

__all__ = ["HEADER", "UniswapV3Reader", "open_uniswap"]

HEADER = "block_number,block_timestamp,tx_type"
_NAME = re.compile(r"^(?:(?P<chain>[a-z]+)-)?.*?(?P<pool>0x[0-9a-fA-F]{40})")
_LIQ_EVERY_MS = 60_000
_ZERO = "0x" + "0" * 40  # the token's own address is not in the file


def open_uniswap(path: Path) -> UniswapV3Reader | str:
    """The reader for a demeter-fetch file, or why it cannot be read."""
    m = _NAME.match(path.name)
    if m is None:
        return f"{path.name}: Uniswap v3 events, but the file name does not name the pool"
    pool = m.group("pool").lower()
    reg = registry_for(path)
    name = m.group("chain")
    if name is None:
        info = reg.any_chain(pool)
    else:
        try:
            chain = Chain(name)
        except ValueError:
            return f"{path.name}: Uniswap v3 events on chain {name!r}, which dexcex does not watch"
        info = reg.lookup(chain, pool)
    if info is None:
        where = f" on {name}" if name else ""
        return (
            f"{path.name}: pool {pool}{where} is unknown (not in the packaged list nor in a "
            f"{SIDECAR} next to the data): skipped, not guessed — add it to a {SIDECAR}"
        )
    if info.quote_usd is None:
        return (
            f"{path.name}: pool {pool} quotes {info.asset_symbol} in {info.quote_symbol}, "
            f"which has no USD price here: set quote_usd for it in a {SIDECAR}"
        )
    return UniswapV3Reader(path, info=info)


class UniswapV3Reader(Reader):
    kind = "Uniswap v3 pool events"

    def __init__(self, path: Path, *, info: PoolInfo) -> None:
        super().__init__(path)
        self.info = info

    def asset(self) -> Asset:
        p = self.info
        return Asset(
            p.asset_id,
            p.asset_symbol,
            (
                DexIdentity(
                    p.chain,
                    _ZERO,
                    p.base_decimals,
                    (DexPool("uniswap", p.address, p.quote_symbol),),
                ),
            ),
            cex_asset_markets(p.asset_symbol),
        )

    def items(self) -> Iterator[Item]:
        self.saw_source(self.info.asset_id, "uniswap-v3")
        yield self.asset()
        last_liq = 0
        with open(self.path, "rb") as raw:
            self._raw = raw
            for row in csv.DictReader(open_text(self.path, raw)):
                try:
                    ts = int(
                        datetime.strptime(row["block_timestamp"], "%Y-%m-%d %H:%M:%S")
                        .replace(tzinfo=UTC)
                        .timestamp()
                        * 1000
                    )
                    kind = row["tx_type"]
                    if kind == "SWAP":
                        swap = self._swap(row, ts)
                        if swap is not None:
                            yield swap
                    if kind in ("MINT", "BURN") or ts - last_liq >= _LIQ_EVERY_MS:
                        liq = self._liquidity(row, ts)
                        if liq is not None:
                            last_liq = ts
                            yield liq
                            self.count("liquidity samples" if kind == "SWAP" else "mints/burns", ts)
                except (KeyError, ValueError, DomainValidationError) as exc:
                    self.reject(
                        "rows rejected", f"row {row.get('transaction_hash', '?')[:12]}: {exc}"
                    )

    def _swap(self, row: dict[str, str], ts: int) -> DexSwap | None:
        p = self.info
        amounts = (int(row["amount0"]), int(row["amount1"]))
        base_raw, quote_raw = amounts[p.base_index], amounts[1 - p.base_index]
        base = abs(base_raw) / 10**p.base_decimals
        quote = abs(quote_raw) / 10**p.quote_decimals
        if base <= 0 or quote <= 0:
            self.count("zero swaps skipped")
            return None
        assert p.quote_usd is not None
        usd = quote * p.quote_usd
        side = Side.BUY if base_raw < 0 else Side.SELL  # the asset left the pool: bought
        self.count("swaps", ts)
        return DexSwap(
            p.asset_id,
            p.chain,
            "uniswap",
            p.address,
            row["transaction_hash"],
            row.get("receipt") or row.get("sender") or None,
            side,
            base,
            quote,
            usd,
            quote / base,
            usd / base,
            ts,
            ts,
            "uniswap-v3",
        )

    def _liquidity(self, row: dict[str, str], ts: int) -> PoolLiquidity | None:
        """Virtual in-range reserves from L and sqrtPriceX96: x = L/√P, y = L·√P (raw)."""
        p = self.info
        try:
            liq = int(row["total_liquidity"])
            sqrt_p = int(row["sqrtPriceX96"]) / 2**96
        except (KeyError, ValueError):
            return None
        if liq <= 0 or sqrt_p <= 0:
            return None
        raw = (liq / sqrt_p, liq * sqrt_p)
        base = raw[p.base_index] / 10**p.base_decimals
        quote = raw[1 - p.base_index] / 10**p.quote_decimals
        assert p.quote_usd is not None
        return PoolLiquidity(
            p.asset_id,
            p.chain,
            "uniswap",
            p.address,
            2 * quote * p.quote_usd,
            base,
            quote,
            ts,
            ts,
            "uniswap-v3",
        )
