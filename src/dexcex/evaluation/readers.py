"""Recorded data → domain events, each format recognised by its content.

Formats:

- the simulator's ground-truth log (``dexcex sim --log``; JSON lines, ``.zst`` or not):
  swaps, liquidity, books (rebuilt from deltas, one book per market per second), and
  which bursts were informed (ground truth for precision/recall);
- Uniswap v3 pool events as CSV (demeter-fetch: ``block_timestamp, tx_type, …``): swaps
  and, from MINT/BURN rows, the in-range liquidity;
- CEX 1-minute candles as CSV (Binance klines: ``open_time, open, high, low, close, …``):
  one mid per minute (the close, at the minute's end) as a thin synthetic book;
- cryptofeed websocket recordings of Bybit (legacy v2 ``trade.*`` / ``orderBookL2_25.*``
  and v5 ``orderbook.*``): trades and books.

Each reader yields, in time order, ``Asset`` values (the first time an asset appears),
domain events, and ``Truth`` records; ``describe()`` says what it read.
"""

from __future__ import annotations

import csv
import io
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, ClassVar

import msgspec
import zstandard

from dexcex.domain import (
    Asset,
    CexMarket,
    CexTrade,
    Chain,
    DexIdentity,
    DexPool,
    DexSwap,
    DomainValidationError,
    MarketEvent,
    OrderBook,
    PoolLiquidity,
    Side,
    VenueId,
)
from dexcex.sim.convert import SimToDomain
from dexcex.sim.groundtruth import read_log
from dexcex.sim.market.events import (
    Burst,
    CexMove,
)

__all__ = ["READERS", "Item", "Reader", "Truth", "open_reader"]


@dataclass(frozen=True, slots=True)
class Truth:
    """Ground truth from the simulator: a burst (with its planned outcome) or a CEX move."""

    t: int
    event: Burst | CexMove


Item = Asset | MarketEvent | Truth


def item_ts(item: Item, last: int) -> int:
    if isinstance(item, Truth):
        return item.t
    if isinstance(item, Asset):
        return last
    return item.ts_event


@dataclass
class Reader(ABC):
    """One input format; each subclass says how to turn its file into items."""

    kind: ClassVar[str] = "unknown"
    path: Path
    counts: dict[str, int] = field(default_factory=dict)
    first_ts: int | None = None
    last_ts: int | None = None
    problems: list[str] = field(default_factory=list)

    _raw: IO[bytes] | None = None

    def _opened(self, raw: IO[bytes]) -> None:
        self._raw = raw

    def position(self) -> int:
        """Bytes of the file read so far (for a progress bar; the size once done)."""
        raw = self._raw
        if raw is None:
            return 0
        try:
            return raw.tell()
        except (ValueError, OSError):  # closed: all of it was read
            return self.size

    @property
    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    def count(self, what: str, ts: int | None = None) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1
        if ts is not None:
            self.first_ts = ts if self.first_ts is None else min(self.first_ts, ts)
            self.last_ts = ts if self.last_ts is None else max(self.last_ts, ts)

    @abstractmethod
    def items(self) -> Iterator[Item]: ...

    def describe(self) -> str:
        span = ""
        if self.first_ts and self.last_ts:
            t0 = datetime.fromtimestamp(self.first_ts / 1000, UTC)
            t1 = datetime.fromtimestamp(self.last_ts / 1000, UTC)
            end = t1.strftime("%H:%M" if t0.date() == t1.date() else "%Y-%m-%d %H:%M")
            span = f" {t0:%Y-%m-%d %H:%M}–{end} UTC"
        what = ", ".join(f"{v:,} {k}" for k, v in sorted(self.counts.items()))
        return f"{self.path.name}: {self.kind}{span}: {what or 'nothing usable'}"


# --- the simulator's log ------------------------------------------------------------------------


class SimLogReader(Reader):
    kind = "simulator ground truth"

    def items(self) -> Iterator[Item]:
        from dexcex.config import load_settings

        known = {a.id: a for a in load_settings().domain_assets()}
        conv = SimToDomain(known, self.count, self.problems.append)
        for _, _, _, ev in read_log(self.path, opened=self._opened):
            for item in conv.convert(ev):
                if isinstance(item, (Burst, CexMove)):
                    self.count("bursts" if isinstance(item, Burst) else "CEX moves")
                    yield Truth(item.t, item)
                else:
                    yield item


# --- Uniswap v3 pool events ---------------------------------------------------------------------

_WETH = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
_POOL_IN_NAME = re.compile(r"(0x[0-9a-fA-F]{40})")
_UNI_LIQ_EVERY_MS = 60_000


class UniswapV3Reader(Reader):
    """USDC/WETH pools (token0 USDC, 6 decimals; token1 WETH, 18): the asset is ETH."""

    kind = "Uniswap v3 pool events"
    ASSET_ID = "eth"

    def asset(self, pool: str) -> Asset:
        return Asset(
            self.ASSET_ID,
            "ETH",
            (DexIdentity(Chain.ETHEREUM, _WETH, 18, (DexPool("uniswap", pool, "USDC"),)),),
            (CexMarket(VenueId.MEXC, "ETH/USDT"),),
        )

    def items(self) -> Iterator[Item]:
        m = _POOL_IN_NAME.search(self.path.name)
        pool = m.group(1).lower() if m else "0x" + "0" * 40
        yield self.asset(pool)
        last_liq = 0
        with open(self.path, "rb") as raw:
            self._raw = raw
            fh = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            for row in csv.DictReader(fh):
                try:
                    ts = int(
                        datetime.strptime(row["block_timestamp"], "%Y-%m-%d %H:%M:%S")
                        .replace(tzinfo=UTC)
                        .timestamp()
                        * 1000
                    )
                    a0, a1 = int(row["amount0"]), int(row["amount1"])
                    kind = row["tx_type"]
                    if kind == "SWAP":
                        usd, base = abs(a0) / 1e6, abs(a1) / 1e18
                        if usd <= 0 or base <= 0:
                            self.count("zero swaps skipped")
                            continue
                        side = Side.BUY if a1 < 0 else Side.SELL  # WETH left the pool: bought
                        yield DexSwap(
                            self.ASSET_ID,
                            Chain.ETHEREUM,
                            "uniswap",
                            pool,
                            row["transaction_hash"],
                            row.get("receipt") or row.get("sender") or None,
                            side,
                            base,
                            usd,
                            usd,
                            usd / base,
                            usd / base,
                            ts,
                            ts,
                            "uniswap-v3",
                        )
                        self.count("swaps", ts)
                    if kind in ("MINT", "BURN") or ts - last_liq >= _UNI_LIQ_EVERY_MS:
                        liq = _v3_liquidity(row)
                        if liq is not None:
                            last_liq = ts
                            usdc, weth = liq
                            yield PoolLiquidity(
                                self.ASSET_ID,
                                Chain.ETHEREUM,
                                "uniswap",
                                pool,
                                2 * usdc,
                                weth,
                                usdc,
                                ts,
                                ts,
                                "uniswap-v3",
                            )
                            self.count("liquidity samples" if kind == "SWAP" else "mints/burns", ts)
                except (KeyError, ValueError, DomainValidationError) as exc:
                    self.problems.append(f"row {row.get('transaction_hash', '?')[:12]}: {exc}")
                    self.count("rows rejected")


def _v3_liquidity(row: dict[str, str]) -> tuple[float, float] | None:
    """Virtual in-range reserves (USDC, WETH) from L and sqrtPriceX96."""
    try:
        liq = int(row["total_liquidity"])
        sqrt_p = int(row["sqrtPriceX96"]) / 2**96
    except (KeyError, ValueError):
        return None
    if liq <= 0 or sqrt_p <= 0:
        return None
    return liq / sqrt_p / 1e6, liq * sqrt_p / 1e18


# --- CEX candles --------------------------------------------------------------------------------

_CANDLE_SPREAD_BPS = 1.0  # a liquid major: the book is rebuilt around the close


class CandleReader(Reader):
    kind = "CEX 1-minute candles"

    def __init__(self, path: Path, symbol: str = "ETH/USDT") -> None:
        super().__init__(path)
        self.symbol = symbol

    def items(self) -> Iterator[Item]:
        with open(self.path, "rb") as raw:
            self._raw = raw
            fh = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            for row in csv.DictReader(fh):
                try:
                    ts = int(row["open_time"]) + 60_000  # the close is known at the minute's end
                    close = float(row["close"])
                    if not (close > 0 and math.isfinite(close)):
                        raise ValueError(f"close {row['close']!r}")
                    h = close * _CANDLE_SPREAD_BPS / 2e4
                    depth = float(row.get("volume") or 1000.0) / 10
                    yield OrderBook.from_pairs(
                        VenueId.MEXC,
                        self.symbol,
                        [(close - h - i * close * 1e-4, depth) for i in range(10)],
                        [(close + h + i * close * 1e-4, depth) for i in range(10)],
                        ts // 1000,
                        ts,
                        ts,
                    )
                    self.count("minutes", ts)
                except (KeyError, ValueError, DomainValidationError) as exc:
                    self.problems.append(str(exc))
                    self.count("rows rejected")


# --- cryptofeed recordings ----------------------------------------------------------------------

_CF_LINE = re.compile(r"^(?:(\S+) (<-|->) )?(\d+\.\d+): (.*)$")


class CryptofeedReader(Reader):
    kind = "cryptofeed Bybit recording"

    def items(self) -> Iterator[Item]:
        dec = msgspec.json.Decoder()
        books: dict[str, tuple[dict[float, float], dict[float, float]]] = {}
        with open(self.path, "rb") as raw:
            self._raw = raw
            fh = io.TextIOWrapper(raw, encoding="utf-8", errors="replace")
            for line in fh:
                m = _CF_LINE.match(line.rstrip("\n"))
                if not m or m.group(2) == "<-":
                    if line.startswith("configuration:"):
                        self.count("recorder configuration lines (no market data)")
                    continue
                if m.group(1) and m.group(1).startswith("https://"):
                    self.count("REST responses (no market data)")
                    continue
                recv = int(float(m.group(3)) * 1000)
                try:
                    msg = dec.decode(m.group(4))
                except msgspec.DecodeError:
                    self.count("undecodable lines")
                    continue
                if not isinstance(msg, dict):
                    continue
                topic = str(msg.get("topic", ""))
                if topic.startswith("trade."):
                    for t in msg.get("data") or []:
                        try:
                            ts = int(t.get("trade_time_ms") or recv)
                            yield CexTrade(
                                VenueId.BYBIT,
                                _unified(t["symbol"]),
                                str(t["trade_id"]),
                                Side.BUY if t["side"] == "Buy" else Side.SELL,
                                float(t["price"]),
                                float(t["size"]),
                                ts,
                                recv,
                            )
                            self.count("trades", ts)
                        except (KeyError, TypeError, ValueError, DomainValidationError):
                            self.count("trades rejected")
                elif topic.startswith(("orderBookL2_25.", "orderbook.")):
                    book = self._book(msg, topic, recv, books)
                    if book is not None:
                        yield book
                        self.count("books", recv)

    def _book(
        self,
        msg: dict[str, Any],
        topic: str,
        recv: int,
        books: dict[str, tuple[dict[float, float], dict[float, float]]],
    ) -> OrderBook | None:
        symbol = topic.rsplit(".", 1)[-1]
        bids, asks = books.setdefault(symbol, ({}, {}))
        data = msg.get("data")
        if msg.get("type") == "snapshot":
            bids.clear()
            asks.clear()
        try:
            if topic.startswith("orderbook."):
                _apply_v5(data, bids, asks)
            else:
                _apply_v2(data, bids, asks)
            if not bids or not asks:
                return None
            return OrderBook.from_pairs(
                VenueId.BYBIT,
                _unified(symbol),
                sorted(bids.items(), reverse=True)[:25],
                sorted(asks.items())[:25],
                0,
                recv,
                recv,
            )
        except (KeyError, TypeError, ValueError, AttributeError, DomainValidationError):
            self.count("books rejected")
            return None


def _apply_v5(data: Any, bids: dict[float, float], asks: dict[float, float]) -> None:
    """Bybit v5: ``{"b": [[price, size]], "a": [...], "u": …}``; size 0 removes."""
    for side, key in ((bids, "b"), (asks, "a")):
        for p, q in data[key]:
            if float(q) == 0:
                side.pop(float(p), None)
            else:
                side[float(p)] = float(q)


def _apply_v2(data: Any, bids: dict[float, float], asks: dict[float, float]) -> None:
    """Legacy v2: a snapshot list of rows, or ``{"delete", "update", "insert"}``."""
    if isinstance(data, list):
        for r in data:
            (bids if r["side"] == "Buy" else asks)[float(r["price"])] = float(r["size"])
        return
    for r in data.get("delete", []):
        (bids if r["side"] == "Buy" else asks).pop(float(r["price"]), None)
    for r in [*data.get("update", []), *data.get("insert", [])]:
        if "size" in r:
            (bids if r["side"] == "Buy" else asks)[float(r["price"])] = float(r["size"])


def _unified(symbol: str) -> str:
    for quote in ("USDT", "USDC", "USD"):
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return f"{symbol[: -len(quote)]}/{quote}"
    return symbol


# --- recognising a file ---------------------------------------------------------------------------

READERS: dict[str, type[Reader]] = {
    "sim": SimLogReader,
    "uniswap": UniswapV3Reader,
    "candles": CandleReader,
    "cryptofeed": CryptofeedReader,
}


def _head(path: Path, n: int = 4096) -> bytes:
    with open(path, "rb") as fh:
        raw = fh.read(n)
    if raw.startswith(b"\x28\xb5\x2f\xfd"):  # zstd magic
        with open(path, "rb") as fh:
            stream = zstandard.ZstdDecompressor().stream_reader(fh)
            return io.BufferedReader(stream).read(n)
    return raw


def open_reader(path: Path) -> Reader | str:
    """The reader for ``path``, or why none fits."""
    try:
        head = _head(path).decode("utf-8", errors="replace")
    except OSError as exc:
        return f"{path.name}: cannot read ({exc.strerror})"
    first = head.splitlines()[0] if head else ""
    if first.startswith("[1,") and (
        '"book"' in first
        or '"swap"' in first
        or '"trade"' in first
        or '"bbo"' in first
        or '"regime"' in first
    ):
        return SimLogReader(path)
    if first.startswith("block_number,block_timestamp,tx_type"):
        return UniswapV3Reader(path)
    if first.startswith("open_time,open,high,low,close"):
        return CandleReader(path)
    if re.match(r"^(wss|https)://\S+ (<->|<-|->) \d+\.\d+", first) or _CF_LINE.match(first):
        return CryptofeedReader(path)
    return f"{path.name}: not a format dexcex knows (first line: {first[:60]!r})"
