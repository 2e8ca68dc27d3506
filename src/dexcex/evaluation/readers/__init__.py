"""Recorded data → domain events, each format recognised by its content (and, where the
content does not say it, its name).

One module per format:

- ``recorder``: the recorder's own ``events-*.jsonl.zst`` files;
- ``sim``: the simulator's ground-truth log;
- ``uniswap``: Uniswap v3 pool events (demeter-fetch CSV), pools from the registry;
- ``dune``: Dune ``dex.trades`` CSV exports;
- ``candles``: Binance Data Vision klines and freqtrade candles (JSON, feather);
- ``binance``: Binance Data Vision aggTrades and bookTicker CSVs;
- ``cryptofeed``: cryptofeed's raw recordings and its current capture format.

``open_reader(path)`` gives the reader for a file, or a sentence saying why none fits.
"""

from __future__ import annotations

import re
from pathlib import Path

import structlog

from dexcex.domain import ConfigError
from dexcex.evaluation.readers.base import (
    BookOrigin,
    Item,
    Reader,
    Truth,
    head_bytes,
    item_ts,
)
from dexcex.evaluation.readers.binance import open_binance_ticks
from dexcex.evaluation.readers.candles import BinanceKlinesReader, CandleReader, FreqtradeReader
from dexcex.evaluation.readers.cryptofeed import (
    CF_LINE,
    CaptureReader,
    CryptofeedReader,
    is_capture_header,
)
from dexcex.evaluation.readers.dune import HEADER as DUNE_HEADER
from dexcex.evaluation.readers.dune import DuneTradesReader
from dexcex.evaluation.readers.recorder import RecordingReader
from dexcex.evaluation.readers.registry import SIDECAR
from dexcex.evaluation.readers.sim import SimLogReader, is_sim_log
from dexcex.evaluation.readers.uniswap import HEADER as UNI_HEADER
from dexcex.evaluation.readers.uniswap import UniswapV3Reader, open_uniswap
from dexcex.pipeline.recording import is_recording

__all__ = [
    "READERS",
    "BinanceKlinesReader",
    "BookOrigin",
    "CandleReader",
    "CaptureReader",
    "CryptofeedReader",
    "DuneTradesReader",
    "FreqtradeReader",
    "Item",
    "Reader",
    "RecordingReader",
    "SimLogReader",
    "Truth",
    "UniswapV3Reader",
    "item_ts",
    "open_reader",
    "select_readers",
]

log = structlog.get_logger("dexcex.evaluation.readers")

READERS: dict[str, type[Reader]] = {
    "recording": RecordingReader,
    "sim": SimLogReader,
    "uniswap": UniswapV3Reader,
    "dune": DuneTradesReader,
    "klines": BinanceKlinesReader,
    "freqtrade": FreqtradeReader,
    "cryptofeed": CryptofeedReader,
    "cryptofeed-capture": CaptureReader,
}

_NOT_DATA = {".md", ".sql", ".txt", ".py", ".toml", ".yaml", ".yml"}
_FIRST_INT = re.compile(r"^\d{10,17},")


def select_readers(readers: list[Reader]) -> tuple[list[Reader], list[str]]:
    """Drop candle files of a market that a finer candle file of the same market covers
    (two timeframes of one market would interleave two mid series); say which and why."""
    finest: dict[str, CandleReader] = {}
    for r in readers:
        if isinstance(r, CandleReader) and r.bar_ms:
            best = finest.get(r.symbol)
            if best is None or (best.bar_ms or 0) > r.bar_ms:
                finest[r.symbol] = r
    kept: list[Reader] = []
    dropped: list[str] = []
    for r in readers:
        if isinstance(r, CandleReader) and finest.get(r.symbol) not in (None, r):
            dropped.append(
                f"{r.path.name}: not used — {finest[r.symbol].path.name} has finer bars of "
                f"the same market ({r.symbol})"
            )
            continue
        kept.append(r)
    return kept, dropped


def open_reader(path: Path) -> Reader | str:
    """The reader for ``path``, or why none fits (also logged)."""
    why = _open(path)
    if isinstance(why, str):
        log.debug("file not read", why=why)  # the caller reports it with the results
    return why


def _open(path: Path) -> Reader | str:
    if path.name == SIDECAR:
        return f"{path.name}: pool registry sidecar (configuration, not data)"
    if path.suffix == ".feather":
        return FreqtradeReader.open(path)
    try:
        raw = head_bytes(path)
    except OSError as exc:
        return f"{path.name}: cannot read ({exc.strerror or exc})"
    if is_recording(raw):
        return RecordingReader(path)
    head = raw.decode("utf-8", errors="replace")
    first = head.splitlines()[0] if head else ""
    try:
        reader = _by_content(path, first)
    except ConfigError as exc:
        return f"{path.name}: {exc}"
    if reader is not None:
        return reader
    if path.suffix.lower() in _NOT_DATA:
        return f"{path.name}: not market data ({path.suffix} file)"
    return f"{path.name}: not a format dexcex knows (first line: {first[:60]!r})"


def _by_content(path: Path, first: str) -> Reader | str | None:
    if is_sim_log(first):
        return SimLogReader(path)
    if is_capture_header(first):
        return CaptureReader(path)
    if first.startswith(UNI_HEADER):
        return open_uniswap(path)
    if first.startswith(DUNE_HEADER):
        return DuneTradesReader(path)
    ticks = open_binance_ticks(path)
    if ticks is not None:
        return ticks
    if first.startswith("open_time,") or _FIRST_INT.match(first):
        return BinanceKlinesReader.open(path, first)
    if first.startswith("[[") and path.suffix == ".json":
        return FreqtradeReader.open(path)
    if re.match(r"^(wss|https)://\S+ (<->|<-|->) \d+\.\d+", first) or CF_LINE.match(first):
        return CryptofeedReader(path)
    return None
