"""What an order of a given size would cost against the current book."""

from __future__ import annotations

import msgspec

from dexcex.domain import OrderBook, Side

__all__ = ["BookWalk", "walk_book"]


class BookWalk(msgspec.Struct, frozen=True):
    """Result of walking one side of the book for ``wanted`` base units.

    ``avg_price`` of what fills, ``worst_price`` the last level touched, ``slippage_bps``
    the average fill versus the mid, in the trade's direction (positive = worse than mid;
    it includes half the spread). ``complete`` is False when the depth ran out.
    """

    wanted: float
    filled: float
    avg_price: float
    worst_price: float
    slippage_bps: float
    levels: int
    complete: bool


def walk_book(book: OrderBook, side: Side, qty: float) -> BookWalk | None:
    """Walk asks for a buy, bids for a sell; None if the side is empty or there is no mid."""
    levels = book.asks if side is Side.BUY else book.bids
    mid = book.mid
    if not levels or mid is None or qty <= 0:
        return None
    left, cost, n, worst = qty, 0.0, 0, levels[0].price
    for lv in levels:
        take = lv.size if lv.size < left else left
        cost += take * lv.price
        left -= take
        n += 1
        worst = lv.price
        if left <= 0:
            break
    filled = qty - max(left, 0.0)
    if filled <= 0:
        return None
    avg = cost / filled

    sign = 1.0 if side is Side.BUY else -1.0
    return BookWalk(qty, filled, avg, worst, sign * (avg / mid - 1.0) * 1e4, n, left <= 1e-12)
