"""cryptofeed recordings of Bybit's public websocket: trades and books.

Two containers, the same messages inside:

- the legacy raw recorder (``raw_data_collection``): text lines ``<url> <-> <ts>``
  (connect), ``<url> <- <ts>: <json>`` (sent), ``<ts>: <json>`` (received; local time in
  float seconds), ``<url> -> <ts>: <json>`` (a REST response);
- the current capture format (``cryptofeed/capture.py``, format 2): one zstd-compressed
  JSON-lines file per exchange, ``<EXCHANGE>.jsonl.zst``; the first line is a header
  ``{"t": "header", "format": 2, "exchange": "BYBIT", "config": …}``, then one record
  per line: ``{"t": "connect"|"send"|"recv"|"http", "conn": …, "ts": <float s>,
  "data": "<payload text>"}`` (``"b64"`` for binary frames).

Bybit messages read: legacy v2 ``trade.*`` and ``orderBookL2_25.*`` (snapshot and
delete/update/insert deltas), v5 ``publicTrade.*`` and ``orderbook.*`` (snapshot and
deltas, size 0 removes a level). Only received messages carry market data.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any

import msgspec

from dexcex.domain import CexTrade, DomainValidationError, OrderBook, Side, VenueId
from dexcex.evaluation.readers.base import Item, Reader, open_text
from dexcex.evaluation.readers.candles import binance_symbol

__all__ = ["CF_LINE", "CaptureReader", "CryptofeedReader", "is_capture_header"]

CF_LINE = re.compile(r"^(?:(\S+) (<-|->) )?(\d+\.\d+): (.*)$")
_Books = dict[str, tuple[dict[float, float], dict[float, float]]]


def is_capture_header(first_line: str) -> bool:
    return first_line.startswith("{") and '"t":"header"' in first_line.replace(" ", "")


class _BybitMessages(Reader):
    """Turns decoded Bybit messages into trades and books (shared by both containers)."""

    venue = VenueId.BYBIT

    def _message(self, msg: Any, recv: int, books: _Books) -> Iterator[Item]:
        if not isinstance(msg, dict):
            return
        topic = str(msg.get("topic", ""))
        if topic.startswith("trade."):
            for t in msg.get("data") or []:
                yield from self._trade(
                    t, "trade_id", "side", "price", "size", "trade_time_ms", recv
                )
        elif topic.startswith("publicTrade."):
            for t in msg.get("data") or []:
                yield from self._trade(t, "i", "S", "p", "v", "T", recv)
        elif topic.startswith(("orderBookL2_25.", "orderbook.")):
            book = self._book(msg, topic, recv, books)
            if book is not None:
                self.book_markets.add((book.venue, book.symbol))
                self.count("books", recv)
                yield book

    def _trade(
        self, t: Any, tid: str, side: str, price: str, size: str, when: str, recv: int
    ) -> Iterator[CexTrade]:
        try:
            ts = int(t.get(when) or recv)
            sym = str(t.get("symbol") or t.get("s"))
            yield CexTrade(
                self.venue,
                binance_symbol(sym) or sym,
                str(t[tid]),
                Side.BUY if t[side] == "Buy" else Side.SELL,
                float(t[price]),
                float(t[size]),
                ts,
                recv,
            )
            self.count("trades", ts)
        except (KeyError, TypeError, ValueError, AttributeError, DomainValidationError) as exc:
            self.reject("trades rejected", f"trade {str(t)[:60]}: {exc}")

    def _book(self, msg: dict[str, Any], topic: str, recv: int, books: _Books) -> OrderBook | None:
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
                self.venue,
                binance_symbol(symbol) or symbol,
                sorted(bids.items(), reverse=True)[:25],
                sorted(asks.items())[:25],
                0,
                recv,
                recv,
            )
        except (KeyError, TypeError, ValueError, AttributeError, DomainValidationError) as exc:
            self.reject("books rejected", f"{topic}: {exc}")
            return None


class CryptofeedReader(_BybitMessages):
    kind = "cryptofeed raw Bybit recording"

    def items(self) -> Iterator[Item]:
        dec = msgspec.json.Decoder()
        books: _Books = {}
        with open(self.path, "rb") as raw:
            self._raw = raw
            for line in open_text(self.path, raw):
                m = CF_LINE.match(line.rstrip("\n"))
                if not m or m.group(2) == "<-":
                    if line.startswith("configuration:"):
                        self.count("recorder configuration lines (no market data)")
                    continue
                if m.group(1) and m.group(1).startswith("https://"):
                    self.count("REST responses (no market data)")
                    continue
                try:
                    msg = dec.decode(m.group(4))
                except msgspec.DecodeError:
                    self.reject("undecodable lines", f"line at {m.group(3)}: not JSON")
                    continue
                yield from self._message(msg, int(float(m.group(3)) * 1000), books)


class _Record(msgspec.Struct):
    t: str
    ts: float = 0.0
    conn: str = ""
    data: str | None = None
    b64: str | None = None


class CaptureReader(_BybitMessages):
    kind = "cryptofeed capture (format 2)"

    def items(self) -> Iterator[Item]:
        rec_dec = msgspec.json.Decoder(_Record)
        dec = msgspec.json.Decoder()
        books: _Books = {}
        with open(self.path, "rb") as raw:
            self._raw = raw
            for n, line in enumerate(open_text(self.path, raw)):
                if not line.strip():
                    continue
                try:
                    rec = rec_dec.decode(line)
                except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                    self.reject("records rejected", f"line {n + 1}: {exc}")
                    continue
                if rec.t == "header":
                    if '"BYBIT"' not in line.upper():
                        self.reject("files rejected", "only Bybit captures are read")
                        return
                    continue
                if rec.t != "recv":
                    self.count(f"{rec.t} records (no market data)")
                    continue
                payload = rec.data
                if payload is None and rec.b64 is not None:
                    payload = base64.b64decode(rec.b64).decode("utf-8", errors="replace")
                try:
                    msg = dec.decode(payload or "")
                except msgspec.DecodeError:
                    self.reject("undecodable payloads", f"line {n + 1}: payload is not JSON")
                    continue
                yield from self._message(msg, int(rec.ts * 1000), books)


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
