"""The recorder's own files (``events-YYYYMMDD-HH.jsonl.zst``, written by ``dexcex
record``, ``dexcex run --record`` and ``dexcex convert``; the format is described in
``dexcex.pipeline.recording``): assets from the headers, then domain events as they
were received. Read through the recorder's own reader, so what it counts as rejected or
cut short is counted here too."""

from __future__ import annotations

from collections.abc import Iterator

from dexcex.domain import Asset, DexSwap, OrderBook
from dexcex.evaluation.readers.base import Item, Reader
from dexcex.pipeline.recording import RecordReader

__all__ = ["RecordingReader"]


class RecordingReader(Reader):
    kind = "dexcex recording"

    _rr: RecordReader | None = None

    def position(self) -> int:
        return self._rr.position() if self._rr is not None else 0

    def items(self) -> Iterator[Item]:
        rr = self._rr = RecordReader([self.path])
        for item in rr.items():
            if isinstance(item, Asset):
                yield item
                continue
            if isinstance(item, OrderBook):
                self.book_markets.add((item.venue, item.symbol))
            elif isinstance(item, DexSwap):
                self.saw_source(item.asset_id, item.source)
            self.count(f"{type(item).__name__} events", item.ts_event)
            yield item
        if rr.rejected:
            self.counts["lines rejected"] = rr.rejected
        if rr.truncated_tail:
            self.counts["truncated tails"] = rr.truncated_tail
        self.problems.extend(rr.problems[:20])
