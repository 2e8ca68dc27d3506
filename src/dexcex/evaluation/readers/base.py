"""What every reader shares: the items it yields, its counts, and how it describes itself.

Each reader yields, in time order, ``Asset`` values (the first time an asset appears),
domain events, and ``Truth`` records; ``describe()`` says what it read, and ``problems``
why rows were rejected (each rejection is also counted, and logged once per reader).
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, ClassVar

import structlog
import zstandard

from dexcex.domain import Asset, CexMarket, MarketEvent, VenueId
from dexcex.sim.market.events import Burst, CexMove

__all__ = [
    "BookOrigin",
    "Item",
    "Reader",
    "Truth",
    "cex_asset_markets",
    "head_bytes",
    "item_ts",
    "open_text",
]

log = structlog.get_logger("dexcex.evaluation.readers")

_MAX_PROBLEMS = 20


@dataclass(frozen=True, slots=True)
class Truth:
    """Ground truth from the simulator: a burst (with its planned outcome) or a CEX move."""

    t: int
    event: Burst | CexMove


Item = Asset | MarketEvent | Truth


def item_ts(item: Item, last: int) -> int:
    """The time an item sorts at (an asset sorts with whatever came before it)."""
    if isinstance(item, Truth):
        return item.t
    if isinstance(item, Asset):
        return last
    return item.ts_event


class BookOrigin:
    """Where a reader's order books come from: costs read off them are measured only
    when they are real books."""

    RECORDED = "recorded"
    ASSUMED = "assumed"  # rebuilt around a candle's close or a best bid/ask


@dataclass
class Reader(ABC):
    """One input format; each subclass says how to turn its file into items."""

    kind: ClassVar[str] = "unknown"
    # whether the books this format yields are the venue's (spread and depth measured)
    # or rebuilt around a price (spread and depth assumed)
    book_origin: ClassVar[str] = BookOrigin.RECORDED
    path: Path
    counts: dict[str, int] = field(default_factory=dict)
    first_ts: int | None = None
    last_ts: int | None = None
    problems: list[str] = field(default_factory=list)
    # (venue, unified symbol) of every book this reader yielded
    book_markets: set[tuple[VenueId, str]] = field(default_factory=set)
    # CEX data spacing in ms when the format has a fixed one (candles), else None
    bar_ms: int | None = None
    # asset id → the sources its DEX events came through (their latency differs)
    dex_sources: dict[str, set[str]] = field(default_factory=dict)

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

    def saw_source(self, asset_id: str, source: str) -> None:
        seen = self.dex_sources.get(asset_id)
        if seen is None:
            self.dex_sources[asset_id] = {source}
        elif source not in seen:
            seen.add(source)

    def reject(self, what: str, why: str) -> None:
        """Count a rejected row and keep (and log, the first time) why."""
        self.count(what)
        if not self.problems:
            log.warning("rows rejected", file=self.path.name, why=why)
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append(why)

    @abstractmethod
    def items(self) -> Iterator[Item]: ...

    def label(self) -> str:
        """What the file is, for people (the format, and what it holds when known)."""
        return self.kind

    def describe(self) -> str:
        span = ""
        if self.first_ts and self.last_ts:
            t0 = datetime.fromtimestamp(self.first_ts / 1000, UTC)
            t1 = datetime.fromtimestamp(self.last_ts / 1000, UTC)
            end = t1.strftime("%H:%M" if t0.date() == t1.date() else "%Y-%m-%d %H:%M")
            span = f" {t0:%Y-%m-%d %H:%M}–{end} UTC"
        what = ", ".join(f"{v:,} {k}" for k, v in sorted(self.counts.items()))
        return f"{self.path.name}: {self.label()}{span}: {what or 'nothing usable'}"


def cex_asset_markets(symbol: str) -> tuple[CexMarket, ...]:
    """The CEX markets an asset read from data is compared against: ``SYMBOL/USDT`` on
    the active venue (MEXC) and the failover (Bybit) — the names candle and trade
    readers give the books they rebuild."""
    return (
        CexMarket(VenueId.MEXC, f"{symbol}/USDT"),
        CexMarket(VenueId.BYBIT, f"{symbol}/USDT"),
    )


_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def open_text(path: Path, raw: IO[bytes]) -> IO[str]:
    """A text view of ``raw``, decompressed when the file is zstd."""
    head = raw.read(4)
    raw.seek(0)
    stream: IO[bytes] = raw
    if head == _ZSTD_MAGIC:
        stream = io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(raw))
    return io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")


def head_bytes(path: Path, n: int = 4096) -> bytes:
    """The first ``n`` bytes of the file's content (decompressed when zstd)."""
    with open(path, "rb") as fh:
        raw = fh.read(n)
    if raw.startswith(_ZSTD_MAGIC):
        with open(path, "rb") as fh:
            stream = zstandard.ZstdDecompressor().stream_reader(fh)
            return io.BufferedReader(stream).read(n)
    return raw
