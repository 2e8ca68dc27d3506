"""The simulator's ground-truth log: every event it generated, in order.

One JSON array per line: ``[seq, stream, stream_seq, event]`` where ``event`` is a
tagged array (``["trade", t, venue, …]``, see ``market.events``), ``stream`` names the
feed the event belongs to (``mexc:depth:WIFUSDT``, ``dex:swaps:<pool>``, …) and
``stream_seq`` counts events within that stream from 1. Files ending in ``.zst`` are
zstd-compressed. The same seed and scenario give a byte-identical file.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import msgspec
import zstandard

from dexcex.sim.market.events import (
    Burst,
    CexBbo,
    CexBookDelta,
    CexMove,
    CexTradeEv,
    DexLiquidityEv,
    DexSwapEv,
    FaultEv,
    RegimeEv,
    SimEvent,
)

__all__ = ["GroundTruthLog", "read_log", "stream_of"]

LogRecord = tuple[int, str, int, SimEvent]


def stream_of(ev: SimEvent) -> str:
    """The feed an event is published on."""
    if isinstance(ev, CexBookDelta):
        return f"{ev.venue}:depth:{ev.symbol}"
    if isinstance(ev, CexBbo):
        return f"{ev.venue}:bbo:{ev.symbol}"
    if isinstance(ev, CexTradeEv):
        return f"{ev.venue}:trades:{ev.symbol}"
    if isinstance(ev, DexSwapEv):
        return f"dex:swaps:{ev.pool}"
    if isinstance(ev, DexLiquidityEv):
        return f"dex:liquidity:{ev.pool}"
    if isinstance(ev, (Burst, CexMove, RegimeEv)):
        return f"truth:{ev.asset_id}"
    if isinstance(ev, FaultEv):
        return f"fault:{ev.target}"
    raise TypeError(f"not a simulator event: {ev!r}")


class GroundTruthLog:
    """A sink for ``MarketSim`` that appends every event to a file (call ``close``)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        raw: IO[bytes] = open(self.path, "wb")  # noqa: SIM115 - closed in close()
        self._raw = raw
        self._out: IO[bytes] = (
            zstandard.ZstdCompressor(level=3).stream_writer(raw)
            if self.path.suffix == ".zst"
            else raw
        )
        self._enc = msgspec.json.Encoder()
        self._buf = bytearray()
        self._seq = 0
        self._streams: dict[str, int] = {}

    def __call__(self, ev: SimEvent) -> None:
        stream = stream_of(ev)
        n = self._streams.get(stream, 0) + 1
        self._streams[stream] = n
        self._seq += 1
        self._enc.encode_into((self._seq, stream, n, ev), self._buf, -1)
        self._buf.extend(b"\n")
        if len(self._buf) > 1 << 20:
            self.flush()

    def flush(self) -> None:
        if self._buf:
            self._out.write(self._buf)
            self._buf.clear()
        self._out.flush()

    def close(self) -> None:
        self.flush()
        if self._out is not self._raw:
            self._out.close()
        self._raw.close()


def read_log(
    path: str | Path, opened: Callable[[IO[bytes]], None] | None = None
) -> Iterator[LogRecord]:
    """Yield ``(seq, stream, stream_seq, event)`` records from a ground-truth log;
    ``opened`` is handed the raw file (e.g. to follow progress by its position)."""
    dec = msgspec.json.Decoder(tuple[int, str, int, SimEvent])
    p = Path(path)
    with open(p, "rb") as raw:
        if opened is not None:
            opened(raw)
        stream: IO[bytes] = (
            io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(raw))
            if p.suffix == ".zst"
            else raw
        )
        for line in stream:
            if line.strip():
                yield dec.decode(line)
