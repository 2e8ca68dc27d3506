"""Dune ``dex.trades`` CSV exports (v1 schema): ``block_time, token_a_symbol,
token_b_symbol, token_a_amount, token_b_amount, project, category, usd_amount,
trader_a`` (amounts decimal-adjusted; ``trader_a`` as ``\\x``-hex).

What the rows mean, and how they are counted:

- ``token_a`` is the token ``trader_a`` bought: the side of the asset is BUY when the
  asset is ``token_a`` and SELL when it is ``token_b``;
- the asset of a row is its non-quote token (quotes: USD stablecoins, then WETH/ETH,
  then WBTC — the lower ranked of the two is the quote); WETH against a stablecoin is
  ETH flow, two stablecoins are skipped (no asset);
- ``category = Aggregator`` rows repeat a DEX fill under them (1inch, 0x API, Matcha …):
  each fill is counted once. An aggregator row whose asset amount matches (within
  0.5 %) a DEX row, or the sum of the DEX rows, of the same asset in the same second is
  that fill, and gives it its wallet (the DEX row's trader is often the router); an
  aggregator row with no DEX fill in the export is itself the fill, once, however many
  aggregators report it;
- the pool is not in the export: swaps are filed under ``dune:<project>:<pair>``.

Rows must be in time order (Dune exports are); a row out of order is rejected.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dexcex.domain import (
    Asset,
    Chain,
    DexIdentity,
    DexPool,
    DexSwap,
    DomainValidationError,
    Side,
)
from dexcex.evaluation.readers.base import Item, Reader, cex_asset_markets, open_text
from dexcex.evaluation.readers.registry import USD_STABLES

__all__ = ["HEADER", "DuneTradesReader"]

HEADER = "block_time,token_a_symbol,token_b_symbol"
_ZERO = "0x" + "0" * 40  # the export names tokens by symbol only
_RANK = {**{s: 3 for s in USD_STABLES}, "WETH": 2, "ETH": 2, "WBTC": 1}
_RENAME = {"WETH": "ETH", "WBTC": "BTC"}
_TOL = 0.005


@dataclass(slots=True)
class _Row:
    ts: int
    asset: str  # the asset's ticker
    quote: str
    side: Side
    amount: float  # of the asset
    usd: float
    project: str
    trader: str | None
    aggregator: bool


class DuneTradesReader(Reader):
    kind = "Dune dex.trades export"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._assets: set[str] = set()

    def items(self) -> Iterator[Item]:
        second: list[_Row] = []
        last_ts = 0
        with open(self.path, "rb") as raw:
            self._raw = raw
            for rec in csv.DictReader(open_text(self.path, raw)):
                row = self._parse(rec)
                if row is None:
                    continue
                if row.ts < last_ts:
                    self.reject("rows rejected", f"row at {rec['block_time']}: out of time order")
                    continue
                if second and row.ts != second[0].ts:
                    yield from self._fills(second)
                    second = []
                last_ts = row.ts
                second.append(row)
        yield from self._fills(second)

    def _parse(self, rec: dict[str, str]) -> _Row | None:
        try:
            a, b = rec["token_a_symbol"].upper(), rec["token_b_symbol"].upper()
            ra, rb = _RANK.get(a, 0), _RANK.get(b, 0)
            if ra == rb and ra > 0:
                self.count("rows between two quote tokens (no asset)")
                return None
            if ra == rb:
                self.count("rows between two non-quote tokens (no USD leg)")
                return None
            asset_is_a = ra < rb
            amount = float(rec["token_a_amount"] if asset_is_a else rec["token_b_amount"])
            usd = float(rec["usd_amount"])
            if not (amount > 0 and usd > 0):
                raise ValueError(f"amount {amount} / usd {usd}")
            ts = int(datetime.fromisoformat(rec["block_time"]).timestamp() * 1000)
            trader = rec.get("trader_a") or None
            return _Row(
                ts,
                _RENAME.get(a if asset_is_a else b, a if asset_is_a else b),
                b if asset_is_a else a,
                Side.BUY if asset_is_a else Side.SELL,
                amount,
                usd,
                rec.get("project") or "?",
                "0x" + trader[2:] if trader and trader.startswith("\\x") else trader,
                (rec.get("category") or "").lower() == "aggregator",
            )
        except (KeyError, ValueError) as exc:
            self.reject("rows rejected", f"row at {rec.get('block_time', '?')}: {exc}")
            return None

    def _fills(self, rows: list[_Row]) -> Iterator[Item]:
        """One second's rows → one swap per fill (aggregator duplicates folded in)."""
        dex = [r for r in rows if not r.aggregator]
        done: list[_Row] = []
        for agg in (r for r in rows if r.aggregator):
            same = [d for d in dex if d.asset == agg.asset]
            match = next((d for d in same if _close(d.amount, agg.amount)), None)
            if match is not None or (same and _close(sum(d.amount for d in same), agg.amount)):
                for d in [match] if match is not None else same:
                    d.trader = agg.trader  # the user, not the router the pool saw
                self.count("aggregator rows folded into their DEX fill")
                continue
            if any(d.asset == agg.asset and _close(d.amount, agg.amount) for d in done):
                self.count("aggregator rows repeating another aggregator")
                continue
            done.append(agg)
        for n, r in enumerate([*dex, *done]):
            if r.asset not in self._assets:
                self._assets.add(r.asset)
                self.saw_source(_asset_id(r.asset), "dune")
                yield _asset(r)
            try:
                yield self._swap(r, n)
            except DomainValidationError as exc:
                self.reject("rows rejected", f"fill at {r.ts}: {exc}")

    def _swap(self, r: _Row, n: int) -> DexSwap:
        asset_id = _asset_id(r.asset)
        pool = f"dune:{r.project}:{r.asset}/{r.quote}"
        swap = DexSwap(
            asset_id,
            Chain.ETHEREUM,
            r.project.lower(),
            pool,
            f"dune:{r.ts}:{n}",
            r.trader,
            r.side,
            r.amount,
            r.usd,
            r.usd,
            r.usd / r.amount,
            r.usd / r.amount,
            r.ts,
            r.ts,
            "dune",
        )
        self.count("fills", r.ts)
        return swap


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= _TOL * max(abs(a), abs(b))


def _asset_id(symbol: str) -> str:
    return re.sub(r"[^a-z0-9_-]", "", symbol.lower())[:32] or "unknown"


def _asset(r: _Row) -> Asset:
    sym = re.sub(r"[^A-Z0-9]", "", r.asset)[:20] or "UNKNOWN"
    return Asset(
        _asset_id(r.asset),
        sym,
        (DexIdentity(Chain.ETHEREUM, _ZERO, 18, (DexPool("dune", f"dune:{sym}", r.quote),)),),
        cex_asset_markets(sym),
    )
