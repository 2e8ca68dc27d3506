"""Binance Data Vision trade and top-of-book CSVs (``data.binance.vision``).

- aggTrades (``ETHUSDT-aggTrades-2024-01-05.csv``): ``agg_trade_id, price, quantity,
  first_trade_id, last_trade_id, transact_time, is_buyer_maker[, is_best_match]``;
  futures files have a header, spot files none (spot times are µs from 2025 on).
  ``is_buyer_maker`` true means the taker sold. Trades become ``CexTrade`` events, and
  the last price of each second a thin book around it (spread *assumed*).
- bookTicker (futures: ``update_id, best_bid_price, best_bid_qty, best_ask_price,
  best_ask_qty, transaction_time, event_time``): the venue's best bid and ask, so the
  spread is *measured* (depth: the top level only). The last quote of each second
  becomes a one-level book.

The venue is Binance; the books are filed under the comparison venue's name (MEXC), the
market the DEX asset is compared with, like the candle readers do.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from dexcex.domain import CexTrade, DomainValidationError, OrderBook, Side, VenueId
from dexcex.evaluation.readers.base import BookOrigin, Item, Reader, open_text
from dexcex.evaluation.readers.candles import ASSUMED_SPREAD_BPS, binance_symbol

__all__ = ["AggTradesReader", "BookTickerReader", "open_binance_ticks"]

_NAME = re.compile(r"(?P<sym>[A-Z0-9]{2,20})-(?P<kind>aggTrades|bookTicker)-\d{4}-\d{2}")


def _ms(t: int) -> int:
    return t // 1000 if t > 10**14 else t


def open_binance_ticks(path: Path) -> Reader | str | None:
    """A reader when the name is a Binance aggTrades/bookTicker file (None: it is not)."""
    m = _NAME.search(path.name)
    if m is None:
        return None
    sym = binance_symbol(m.group("sym"))
    if sym is None:
        return f"{path.name}: Binance {m.group('kind')}, but {m.group('sym')} has no known quote"
    if m.group("kind") == "aggTrades":
        return AggTradesReader(path, symbol=sym)
    return BookTickerReader(path, symbol=sym)


class _TickReader(Reader):
    def __init__(self, path: Path, *, symbol: str) -> None:
        super().__init__(path)
        self.symbol = symbol

    def label(self) -> str:
        return f"{self.kind} ({self.symbol})"

    def _rows(self) -> Iterator[list[str]]:
        with open(self.path, "rb") as raw:
            self._raw = raw
            for row in csv.reader(open_text(self.path, raw)):
                if row and row[0].strip().isdigit():  # skips the header row
                    yield row


class AggTradesReader(_TickReader):
    kind = "Binance aggTrades"
    book_origin = BookOrigin.ASSUMED

    def items(self) -> Iterator[Item]:
        self.book_markets.add((VenueId.MEXC, self.symbol))
        last: tuple[int, float] | None = None
        for row in self._rows():
            try:
                price, qty, ts = float(row[1]), float(row[2]), _ms(int(row[5]))
                side = Side.SELL if row[6].strip().lower() == "true" else Side.BUY
                trade = CexTrade(VenueId.MEXC, self.symbol, row[0], side, price, qty, ts, ts)
            except (IndexError, ValueError, DomainValidationError) as exc:
                self.reject("trades rejected", f"row {row[:1]}: {exc}")
                continue
            if last is not None and ts // 1000 != last[0] // 1000:
                yield self._book(*last)
            last = (ts, price)
            yield trade
            self.count("trades", ts)
        if last is not None:
            yield self._book(*last)

    def _book(self, ts: int, price: float) -> OrderBook:
        h = price * ASSUMED_SPREAD_BPS / 2e4
        self.count("books (assumed spread)", ts)
        return OrderBook.from_pairs(
            VenueId.MEXC, self.symbol, [(price - h, 1.0)], [(price + h, 1.0)], 0, ts, ts
        )


class BookTickerReader(_TickReader):
    kind = "Binance bookTicker"

    def items(self) -> Iterator[Item]:
        self.book_markets.add((VenueId.MEXC, self.symbol))
        last: OrderBook | None = None
        for row in self._rows():
            try:
                bid, bq, ask, aq = (float(x) for x in row[1:5])
                ts = _ms(int(row[5]))
                book = OrderBook.from_pairs(
                    VenueId.MEXC, self.symbol, [(bid, bq)], [(ask, aq)], int(row[0]), ts, ts
                )
            except (IndexError, ValueError, DomainValidationError) as exc:
                self.reject("quotes rejected", f"row {row[:1]}: {exc}")
                continue
            if last is not None and ts // 1000 != last.ts_event // 1000:
                self.count("books", last.ts_event)
                yield last
            last = book
            self.count("quotes")
        if last is not None:
            self.count("books", last.ts_event)
            yield last
