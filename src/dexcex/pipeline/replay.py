"""Recorder files: finding them, what a replay of them says (``ReplayResult``), and
``dexcex convert`` (other formats → recorder files). The replay itself is the engine's
(``dexcex.roots.replay``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dexcex.core import CoreOutput
from dexcex.domain import Asset, ManualClock, MarketEvent
from dexcex.evaluation.readers import Reader
from dexcex.pipeline.recording import RecordWriter

__all__ = ["ReplayResult", "convert", "recording_files"]


@dataclass
class ReplayResult:
    events: int = 0
    signals: int = 0
    stored: int = 0
    labeled: int = 0  # signals whose outcomes were written (with a database)
    seconds: float = 0.0
    first_ts: int = 0
    last_ts: int = 0
    rejected: int = 0
    truncated: int = 0
    problems: list[str] = field(default_factory=list)
    outputs: list[CoreOutput] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


def recording_files(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(p.glob("events-*.jsonl.zst"))
        else:
            out.append(p)
    return out


def _items(readers: list[Reader]) -> Iterator[tuple[int, int, Asset | MarketEvent]]:
    import heapq

    from dexcex.evaluation.readers import Truth, item_ts

    def timed(k: int, r: Reader) -> Iterator[tuple[int, int, Asset | MarketEvent]]:
        last = 0
        for n, it in enumerate(r.items()):
            if isinstance(it, Truth):
                continue
            ts = item_ts(it, last)
            last = max(last, ts)
            yield ts, k * 1_000_000_000 + n, it

    yield from heapq.merge(*(timed(k, r) for k, r in enumerate(readers)), key=lambda x: x[:2])


def convert(paths: list[Path], out: Path) -> tuple[int, list[str], list[Path]]:
    """Files in the formats ``dexcex evaluate`` reads (simulator logs, Uniswap v3 CSVs,
    candles, cryptofeed recordings) → recorder files in ``out``. Returns (events written,
    what could not be read, files written)."""
    from dexcex.evaluation.runner import open_readers

    readers, unreadable = open_readers(paths)
    clock = ManualClock(0)
    assets: list[Asset] = []
    writer: RecordWriter | None = None
    n = 0
    for ts, _, item in _items(readers):
        if isinstance(item, Asset):
            assets.append(item)
            if writer is not None:
                writer.set_assets(assets)
            continue
        clock.set(ts)
        if writer is None:
            writer = RecordWriter(out, list(assets), clock, flush_ms=60_000)
        writer.write(item)
        n += 1
    if writer is None:
        return 0, unreadable, []
    writer.close()
    return n, unreadable, writer.files
