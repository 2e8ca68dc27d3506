from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dexcex.domain import BookLevel, OrderBook, Side, VenueId
from dexcex.risk.slippage import walk_book
from tests.factories import T0


def book(bids: list[tuple[float, float]], asks: list[tuple[float, float]]) -> OrderBook:
    return OrderBook(
        VenueId.MEXC,
        "WIF/USDT",
        tuple(BookLevel(p, s) for p, s in bids),
        tuple(BookLevel(p, s) for p, s in asks),
        1,
        T0,
        T0,
    )


B = book([(99.0, 1.0), (98.0, 2.0)], [(100.0, 1.0), (101.0, 2.0), (102.0, 5.0)])


def test_buy_walks_the_asks_by_hand() -> None:
    w = walk_book(B, Side.BUY, 2.5)
    assert w is not None
    # 1 @ 100 + 1.5 @ 101 = 251.5 → avg 100.6; the mid is 99.5
    assert w.avg_price == pytest.approx(100.6)
    assert w.worst_price == 101.0
    assert w.levels == 2 and w.complete
    assert w.slippage_bps == pytest.approx((100.6 / 99.5 - 1) * 1e4)


def test_sell_walks_the_bids_and_runs_out() -> None:
    w = walk_book(B, Side.SELL, 5.0)
    assert w is not None
    # only 3 on the bid side: 99 + 2 × 98 = 295 → avg 98.333…
    assert w.filled == 3.0 and not w.complete
    assert w.avg_price == pytest.approx(295 / 3)
    assert w.worst_price == 98.0
    assert w.slippage_bps == pytest.approx((1 - (295 / 3) / 99.5) * 1e4)


def test_empty_side_or_no_size() -> None:
    assert walk_book(book([(99.0, 1.0)], []), Side.BUY, 1.0) is None
    assert walk_book(B, Side.BUY, 0.0) is None


@given(st.floats(0.001, 20.0))
def test_slippage_grows_with_size(qty: float) -> None:
    small, big = walk_book(B, Side.BUY, qty), walk_book(B, Side.BUY, qty * 1.5)
    assert small is not None and big is not None
    assert big.slippage_bps >= small.slippage_bps - 1e-9
    assert small.worst_price + 1e-9 >= small.avg_price >= 100.0 - 1e-9
