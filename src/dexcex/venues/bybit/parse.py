"""Bybit wire → validated values: order-book messages, trades, and the ``u`` rule.

Pure functions: a decoded message in, a value or ``InvalidInput`` out.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from dexcex.domain import InvalidInput, Side
from dexcex.venues.base import BookUpdate
from dexcex.venues.bybit.schemas import BookMessage, TradeMessage
from dexcex.venues.wire import level_list, positive

__all__ = ["ParsedTrade", "parse_book_message", "parse_trade_message", "sequence_verdict"]


class ParsedTrade(msgspec.Struct, frozen=True):
    trade_id: str
    price: float
    qty: float
    side: Side
    ts: int


def parse_book_message(msg: Any) -> BookUpdate:
    """An ``orderbook.{depth}.{symbol}`` message → the update it carries.

    A snapshot (or ``u == 1``, Bybit's restart signal) replaces the book.
    """
    try:
        m = msgspec.convert(msg, BookMessage)
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"bybit book message: {exc}") from None
    if not m.topic.startswith("orderbook.") or m.topic.rsplit(".", 1)[-1] != m.data.s:
        raise InvalidInput(f"bybit book message: topic {m.topic!r} vs symbol {m.data.s!r}")
    if m.data.u <= 0:
        raise InvalidInput(f"bybit book message: u={m.data.u}")
    return BookUpdate(
        symbol=m.data.s,
        snapshot=m.type == "snapshot" or m.data.u == 1,
        first=m.data.u,
        last=m.data.u,
        bids=level_list(m.data.b, "bid"),
        asks=level_list(m.data.a, "ask"),
        ts=m.ts,
    )


def parse_trade_message(msg: Any) -> tuple[list[ParsedTrade], list[str]]:
    """A ``publicTrade.{symbol}`` message → (valid trades, reasons of the invalid ones)."""
    try:
        m = msgspec.convert(msg, TradeMessage)
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"bybit trade message: {exc}") from None
    good: list[ParsedTrade] = []
    bad: list[str] = []
    for t in m.data:
        try:
            good.append(
                ParsedTrade(
                    t.i,
                    positive(t.p, "price"),
                    positive(t.v, "size"),
                    Side.BUY if t.S == "Buy" else Side.SELL,
                    t.T,
                )
            )
        except InvalidInput as exc:
            bad.append(str(exc))
    return good, bad


def sequence_verdict(
    last_applied: int | None, update: BookUpdate
) -> Literal["apply", "reset", "old", "gap", "wait"]:
    """Deltas of one stream carry consecutive ``u``: a snapshot resets, ``u == prev + 1``
    applies, an older one is dropped, a jump is a gap; deltas before any snapshot wait."""
    if update.snapshot:
        return "reset"
    if last_applied is None:
        return "wait"
    if update.last <= last_applied:
        return "old"
    if update.last == last_applied + 1:
        return "apply"
    return "gap"
