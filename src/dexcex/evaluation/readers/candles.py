"""CEX candles, any timeframe: Binance Data Vision klines CSV and freqtrade data folders.

- Binance klines (``data.binance.vision``, spot and futures): ``open_time, open, high,
  low, close, volume, close_time, …``; futures files have a header row, spot files none;
  spot open times are microseconds from 2025 on (milliseconds before). The symbol and
  the interval come from the file name (``ETHUSDT-1m-2024-01-05.csv``).
- freqtrade (``<BASE>_<QUOTE>-<timeframe>.json`` or ``.feather``): JSON is an array of
  ``[open_time_ms, open, high, low, close, volume]``; feather has columns ``date, open,
  high, low, close, volume``.

A candle's close is known at the bar's end, so each bar becomes one thin book around its
close, stamped at ``open_time + timeframe`` (no look-ahead). Its spread and depth are an
assumption, not a measurement: the reader says so (``book_origin = assumed``) and every
table that uses such a book labels its costs "assumed".
"""

from __future__ import annotations

import csv
import math
import re
from abc import abstractmethod
from collections.abc import Iterable, Iterator
from pathlib import Path

import msgspec

from dexcex.domain import DomainValidationError, OrderBook, VenueId
from dexcex.evaluation.readers.base import BookOrigin, Item, Reader, open_text

__all__ = [
    "ASSUMED_SPREAD_BPS",
    "BinanceKlinesReader",
    "CandleReader",
    "FreqtradeReader",
    "binance_symbol",
    "timeframe_ms",
]

ASSUMED_SPREAD_BPS = 2.0  # the assumed round-trip spread around a candle's close
_UNITS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_QUOTES = ("USDT", "USDC", "FDUSD", "BUSD", "TUSD", "USD")
_BINANCE_NAME = re.compile(
    r"(?P<sym>[A-Z0-9]{2,20})-(?P<tf>\d+(?:s|m|h|d|w|mo))-\d{4}-\d{2}(?:-\d{2})?\.csv$"
)
_FREQTRADE_NAME = re.compile(
    r"^(?P<base>[A-Z0-9]+)_(?P<quote>[A-Z0-9]+)(?:_[A-Z0-9]+)?-(?P<tf>\d+(?:s|m|h|d|w|M))"
    r"(?:-(?:futures|spot|mark|index))?\.(?:json|feather)$"
)


def timeframe_ms(tf: str) -> int | None:
    """``15m`` → 900 000; None for a timeframe without a fixed length (``1mo``/``1M``)."""
    m = re.fullmatch(r"(\d+)([smhdw])", tf)
    return int(m.group(1)) * _UNITS[m.group(2)] if m else None


def binance_symbol(venue_symbol: str) -> str | None:
    """``ETHUSDT`` → ``ETH/USDT`` (None when no known quote ends it)."""
    for q in _QUOTES:
        if venue_symbol.endswith(q) and len(venue_symbol) > len(q):
            return f"{venue_symbol[: -len(q)]}/{q}"
    return None


class CandleReader(Reader):
    """Shared by every candle format: bars in, one thin book per bar out."""

    kind = "CEX candles"
    book_origin = BookOrigin.ASSUMED

    def __init__(self, path: Path, *, symbol: str, bar_ms: int) -> None:
        super().__init__(path)
        self.symbol = symbol
        self.bar_ms = bar_ms

    def label(self) -> str:
        bar = (self.bar_ms or 0) // 1000
        tf = (
            f"{bar // 3600} h"
            if bar >= 3600 and bar % 3600 == 0
            else (f"{bar // 60} min" if bar >= 60 else f"{bar} s")
        )
        return f"{self.kind}, {tf} bars ({self.symbol})"

    @abstractmethod
    def _bars(self) -> Iterable[tuple[int, float, float]]:
        """(open time ms, close, base volume) per bar."""

    def items(self) -> Iterator[Item]:
        bar = self.bar_ms or 60_000
        self.book_markets.add((VenueId.MEXC, self.symbol))
        for open_ms, close, volume in self._bars():
            try:
                if not (close > 0 and math.isfinite(close)):
                    raise ValueError(f"close {close!r}")
                ts = open_ms + bar  # the close is known at the bar's end
                h = close * ASSUMED_SPREAD_BPS / 2e4
                depth = max(volume, 1.0) / 10
                yield OrderBook.from_pairs(
                    VenueId.MEXC,
                    self.symbol,
                    [(close - h - i * close * 1e-4, depth) for i in range(10)],
                    [(close + h + i * close * 1e-4, depth) for i in range(10)],
                    ts // 1000,
                    ts,
                    ts,
                )
                self.count("bars", ts)
            except (ValueError, DomainValidationError) as exc:
                self.reject("bars rejected", f"bar at {open_ms}: {exc}")


class BinanceKlinesReader(CandleReader):
    kind = "Binance klines"

    @classmethod
    def open(cls, path: Path, first_line: str) -> BinanceKlinesReader | str:
        m = _BINANCE_NAME.search(path.name)
        sym = m and binance_symbol(m.group("sym"))
        bar = m and timeframe_ms(m.group("tf"))
        if not m or not sym or not bar:
            # the old excerpt layout without a name to go by: 1-minute ETH/USDT bars
            if first_line.startswith("open_time,") and not m:
                return cls(path, symbol="ETH/USDT", bar_ms=60_000)
            return f"{path.name}: Binance klines, but the name does not say symbol and interval"
        return cls(path, symbol=sym, bar_ms=bar)

    def _bars(self) -> Iterator[tuple[int, float, float]]:
        with open(self.path, "rb") as raw:
            self._raw = raw
            for row in csv.reader(open_text(self.path, raw)):
                if not row or not row[0].strip().isdigit():
                    continue  # the header row (futures files have one)
                try:
                    t = int(row[0])
                    if t > 10**14:  # microseconds (spot files from 2025)
                        t //= 1000
                    yield t, float(row[4]), float(row[5])
                except (IndexError, ValueError) as exc:
                    self.reject("bars rejected", f"row {row[:2]}: {exc}")


class FreqtradeReader(CandleReader):
    kind = "freqtrade candles"

    @classmethod
    def open(cls, path: Path) -> FreqtradeReader | str:
        m = _FREQTRADE_NAME.match(path.name)
        if not m:
            return (
                f"{path.name}: candles, but not named <BASE>_<QUOTE>-<timeframe> as freqtrade does"
            )
        bar = timeframe_ms(m.group("tf"))
        if bar is None:
            return f"{path.name}: timeframe {m.group('tf')} has no fixed length"
        return cls(path, symbol=f"{m.group('base')}/{m.group('quote')}", bar_ms=bar)

    def _bars(self) -> Iterator[tuple[int, float, float]]:
        if self.path.suffix == ".feather":
            yield from self._feather()
            return
        with open(self.path, "rb") as raw:
            self._raw = raw
            try:
                rows = msgspec.json.decode(raw.read(), type=list[list[float]])
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                self.reject("files rejected", f"not a freqtrade JSON array of bars: {exc}")
                return
        for r in rows:
            if len(r) < 6:
                self.reject("bars rejected", f"bar {r}: expected 6 values")
                continue
            yield int(r[0]), float(r[4]), float(r[5])

    def _feather(self) -> Iterator[tuple[int, float, float]]:
        import pyarrow as pa
        from pyarrow import feather

        try:
            table = feather.read_table(self.path, columns=["date", "close", "volume"])
        except (OSError, KeyError, ValueError) as exc:
            self.reject("files rejected", f"not a freqtrade feather file: {exc}")
            return
        dates = table.column("date").cast(pa.timestamp("ms", tz="UTC")).cast(pa.int64()).to_pylist()
        closes = table.column("close").to_pylist()
        volumes = table.column("volume").to_pylist()
        yield from zip(dates, closes, volumes, strict=True)
