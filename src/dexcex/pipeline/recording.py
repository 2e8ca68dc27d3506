"""The recorder's file format ("dexcex-events", version 1) — written by ``dexcex record``
and ``dexcex run --record``, read by ``dexcex replay`` and ``dexcex evaluate``.

One file per UTC hour, ``events-YYYYMMDD-HH.jsonl.zst``, append-only. Its content is
zstd-compressed JSON lines, written as a series of independent zstd frames — one per
flush, at most ``flush_ms`` apart — each ending on a line boundary:

- a header line ``{"format": "dexcex-events", "version": 1, "created_ms": …,
  "assets": [Asset, …]}`` at the start of every writer session (a restarted recorder
  appends a new header to the hour's file);
- then one normalised domain event per line, tagged by ``type`` (``dex_swap``,
  ``dex_price``, ``pool_liquidity``, ``dex_flow_delta``, ``cex_trade``, ``order_book``),
  exactly the ``dexcex.domain`` structs, in the order the engine received them.

Crash safety: frames are handed to the OS every ``flush_ms``; a crash loses at most the
events since the last flush, and can leave only a truncated *last* frame, which the
reader detects and skips (counted as ``truncated_tail``) — every complete frame before it
is read. Nothing is rewritten in place, so a file is never corrupt beyond its tail.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import msgspec
import zstandard

from dexcex.domain import Asset, Clock, MarketEvent

__all__ = ["FORMAT", "RecordReader", "RecordWriter", "is_recording"]

FORMAT = "dexcex-events"
VERSION = 1


class _Header(msgspec.Struct):
    format: str
    version: int
    created_ms: int
    assets: list[Asset]


_encode = msgspec.json.Encoder().encode
_event_decoder = msgspec.json.Decoder(MarketEvent)
_header_decoder = msgspec.json.Decoder(_Header)


def hour_file(directory: Path, ts_ms: int, prefix: str = "events") -> Path:
    return directory / datetime.fromtimestamp(ts_ms / 1000, UTC).strftime(
        f"{prefix}-%Y%m%d-%H.jsonl.zst"
    )


class _Raw(msgspec.Struct, array_like=True):
    ts: int
    source: str
    text: str | None
    b64: str | None


class RecordWriter:
    """Appends events to hourly files; ``tick()`` flushes on time even when idle."""

    def __init__(
        self,
        directory: Path,
        assets: list[Asset],
        clock: Clock,
        *,
        flush_ms: int = 1000,
        level: int = 3,
    ) -> None:
        self.directory = directory
        self.assets = assets
        self.clock = clock
        self.flush_ms = flush_ms
        self._cctx = zstandard.ZstdCompressor(level=level)
        self._buf: list[bytes] = []
        self._fh: IO[bytes] | None = None
        self._path: Path | None = None
        self._hour = -1
        self.prefix = "events"
        self._last_flush = clock.now_ms()
        self.events = 0
        self.bytes = 0
        self.files: list[Path] = []
        directory.mkdir(parents=True, exist_ok=True)
        self.raw: RecordWriter | None = None  # raw payloads, in their own files

    def keep_raw(self) -> None:
        """Also keep every raw wire payload (``write_raw``), in ``raw-…`` files beside
        the event files: ``[ts, source, text, base64]`` per line (one of the last two)."""
        if self.raw is None:
            self.raw = RecordWriter(self.directory, self.assets, self.clock, flush_ms=self.flush_ms)
            self.raw.prefix = "raw"

    def write_raw(self, source: str, payload: str | bytes) -> None:
        raw = self.raw
        if raw is None:
            return
        if isinstance(payload, bytes):
            try:
                rec = _Raw(self.clock.now_ms(), source, payload.decode(), None)
            except UnicodeDecodeError:
                rec = _Raw(self.clock.now_ms(), source, None, base64.b64encode(payload).decode())
        else:
            rec = _Raw(self.clock.now_ms(), source, payload, None)
        raw._append(_encode(rec))

    def _append(self, line: bytes) -> None:
        now = self.clock.now_ms()
        hour = now // 3_600_000
        if hour != self._hour:
            self._rotate(now, hour)
        self._buf.append(line)
        if now - self._last_flush >= self.flush_ms:
            self.flush()

    def write(self, ev: MarketEvent) -> None:
        now = self.clock.now_ms()
        hour = now // 3_600_000
        if hour != self._hour:
            self._rotate(now, hour)
        self._buf.append(_encode(ev))
        self.events += 1
        if now - self._last_flush >= self.flush_ms:
            self.flush()

    def set_assets(self, assets: list[Asset]) -> None:
        """New assets mid-session (a replay discovering them): written as a new header."""
        self.assets = list(assets)
        if self._fh is not None:
            header = _Header(FORMAT, VERSION, self.clock.now_ms(), self.assets)
            self._buf.append(_encode(header))

    def add_asset(self, asset: Asset) -> None:
        if all(a.id != asset.id for a in self.assets):
            self.set_assets([*self.assets, asset])

    def write_many(self, events: Iterable[MarketEvent]) -> None:
        for ev in events:
            self.write(ev)

    def tick(self) -> None:
        if self._buf and self.clock.now_ms() - self._last_flush >= self.flush_ms:
            self.flush()
        if self.raw is not None:
            self.raw.tick()

    def flush(self) -> None:
        self._last_flush = self.clock.now_ms()
        if not self._buf or self._fh is None:
            return
        frame = self._cctx.compress(b"\n".join(self._buf) + b"\n")
        self._buf.clear()
        self._fh.write(frame)
        self._fh.flush()
        self.bytes += len(frame)

    def _rotate(self, now: int, hour: int) -> None:
        self.flush()
        if self._fh is not None:
            self._fh.close()
        self._hour = hour
        self._path = hour_file(self.directory, now, self.prefix)
        self._fh = open(self._path, "ab")  # noqa: SIM115 - held open across calls
        if self._path not in self.files:
            self.files.append(self._path)
        fmt = FORMAT if self.prefix == "events" else f"dexcex-{self.prefix}"
        header = _Header(fmt, VERSION, now, self.assets)
        self._buf.insert(0, _encode(header))
        self.flush()

    def close(self) -> None:
        self.flush()
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        if self.raw is not None:
            self.raw.close()


@dataclass
class RecordReader:
    """Reads one or more recording files in order; counts what it could not read."""

    paths: list[Path]
    assets: dict[str, Asset] = field(default_factory=dict)
    events: int = 0
    rejected: int = 0
    truncated_tail: int = 0
    problems: list[str] = field(default_factory=list)
    _raw: IO[bytes] | None = None

    def items(self) -> Iterator[Asset | MarketEvent]:
        """Assets (first time seen, from the headers) and events, in file order."""
        for path in sorted(self.paths):
            yield from self._file(path)

    def position(self) -> int:
        try:
            return self._raw.tell() if self._raw is not None else 0
        except (ValueError, OSError):
            return 0

    def _file(self, path: Path) -> Iterator[Asset | MarketEvent]:
        with open(path, "rb") as raw:
            self._raw = raw
            for frame in self._frames(path, raw):
                if b'{"format"' not in frame:  # the common case: events only, in one go
                    try:
                        events = _event_decoder.decode_lines(frame)
                    except (msgspec.DecodeError, ValueError):
                        pass  # some line is bad: go line by line to count just that one
                    else:
                        self.events += len(events)
                        yield from events
                        continue
                for line in frame.splitlines(keepends=True):
                    yield from self._line(path, line)

    def _frames(self, path: Path, raw: IO[bytes]) -> Iterator[bytes]:
        """The decompressed content of each complete zstd frame; a cut-off last frame is
        counted and skipped (what a crash mid-write leaves)."""
        dctx = zstandard.ZstdDecompressor()
        dobj = dctx.decompressobj()
        parts: list[bytes] = []
        pending = False  # bytes of an unfinished frame were fed
        while chunk := raw.read(1 << 16):
            data = chunk
            while data:
                try:
                    parts.append(dobj.decompress(data))
                except zstandard.ZstdError as exc:
                    self._reject(path, f"undecodable zstd data ({exc}); rest of file skipped")
                    return
                pending = True
                if not dobj.eof:
                    break
                yield b"".join(parts)
                parts.clear()
                pending = False
                data = dobj.unused_data
                dobj = dctx.decompressobj()
        if pending:
            self.truncated_tail += 1
            self.problems.append(f"{path.name}: last frame cut short (a crash while writing?)")

    def _line(self, path: Path, line: bytes) -> Iterator[Asset | MarketEvent]:
        if not line.endswith(b"\n"):
            self.truncated_tail += 1
            self.problems.append(f"{path.name}: last line cut short")
            return
        if line.startswith(b'{"format"'):
            try:
                header = _header_decoder.decode(line)
            except (msgspec.DecodeError, ValueError) as exc:
                self._reject(path, f"bad header: {exc}")
                return
            if header.format != FORMAT or header.version != VERSION:
                self._reject(path, f"unknown format {header.format} v{header.version}")
                return
            for a in header.assets:
                if a.id not in self.assets:
                    self.assets[a.id] = a
                    yield a
            return
        try:
            ev: Any = _event_decoder.decode(line)
        except (msgspec.DecodeError, ValueError) as exc:
            self._reject(path, str(exc))
            return
        self.events += 1
        yield ev

    def _reject(self, path: Path, why: str) -> None:
        self.rejected += 1
        if len(self.problems) < 20:
            self.problems.append(f"{path.name}: {why[:200]}")


def is_recording(head: bytes) -> bool:
    """Whether decompressed leading bytes look like this format."""
    return head.startswith(b'{"format":"dexcex-events"')
