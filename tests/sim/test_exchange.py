"""Order matching on the simulated venues: book walks, partial fills, fees, balances."""

from __future__ import annotations

import random

import pytest

from dexcex.sim.exchange import Account, SimExchange, SimReject
from dexcex.sim.market.book import SimBook
from dexcex.sim.market.specs import spec_for

SYM = "WIFUSDT"


def make(fee_venue: str = "mexc") -> tuple[SimExchange, SimBook, Account]:
    spec = spec_for(fee_venue, "WIF/USDT", 1.20)
    book = SimBook(spec, 1.20, depth_usd=25_000, levels=10)
    book.update(random.Random(1), 1.20, 3.0, resize=0)
    acct = Account("k", "s", {"USDT": 1_000_000.0, "WIF": 1_000_000.0})
    ex = SimExchange(fee_venue, [acct], {SYM: book}, {SYM: spec}, lambda: 1_700_000_000_000)
    return ex, book, acct


def test_market_buy_walks_the_asks_level_by_level_with_taker_fee() -> None:
    ex, book, acct = make()
    _, asks = book.snapshot(10)
    want = asks[0][1] + asks[1][1] / 2  # all of the first level, half of the second
    o = ex.place("k", SYM, "buy", "market", round(want, 2), None, None, "c1")
    assert o.status == "filled"
    assert [(f.price, f.qty) for f in o.fills] == [
        (asks[0][0], asks[0][1]),
        (asks[1][0], pytest.approx(round(want, 2) - asks[0][1])),
    ]
    cost = sum(f.price * f.qty for f in o.fills)
    assert o.fee == pytest.approx(cost * 0.0005)
    assert acct.free["USDT"] == pytest.approx(1_000_000 - cost * 1.0005)
    assert acct.free["WIF"] == pytest.approx(1_000_000 + round(want, 2))


def test_market_order_larger_than_the_book_fills_partially_and_cancels_the_rest() -> None:
    ex, book, _ = make()
    _, asks = book.snapshot(10)
    total = sum(q for _, q in asks)
    o = ex.place("k", SYM, "buy", "market", round(total * 3, 2), None, None, "big")
    assert o.status == "partially_canceled"
    assert o.executed == pytest.approx(total)
    assert len(o.fills) == 10


def test_limit_order_takes_what_crosses_then_rests_and_fills_as_maker() -> None:
    ex, book, acct = make("bybit")
    _, asks = book.snapshot(10)
    price = asks[0][0]
    qty = round(asks[0][1] * 2, 2)
    o = ex.place("k", SYM, "buy", "limit", qty, price, None, "lim")
    assert o.status == "partially_filled" and o.executed == pytest.approx(asks[0][1])
    assert not o.fills[0].maker
    assert acct.locked["USDT"] > 0
    assert ex.open_orders("k") == [o]
    # the market falls through the order's price: the rest fills as maker at its price
    book.update(random.Random(2), price * 0.995, 3.0, resize=0)
    ex.on_book(SYM)
    assert o.status == "filled" and o.fills[-1].maker and o.fills[-1].price == price
    assert acct.locked["USDT"] == pytest.approx(0, abs=1e-9)
    assert ex.open_orders("k") == []


def test_rejections() -> None:
    ex, _, _ = make()
    ex.place("k", SYM, "buy", "limit", 10, 0.5, None, "dup")
    with pytest.raises(SimReject) as e:
        ex.place("k", SYM, "buy", "limit", 10, 0.5, None, "dup")
    assert e.value.reason == "duplicate_client_id"
    with pytest.raises(SimReject) as e:
        ex.place("k", "NOPEUSDT", "buy", "market", 1, None, None, None)
    assert e.value.reason == "bad_symbol"
    with pytest.raises(SimReject) as e:
        ex.place("k", SYM, "sell", "market", 5_000_000, None, None, None)
    assert e.value.reason == "insufficient"
    with pytest.raises(SimReject) as e:
        ex.place("k", SYM, "buy", "market", 0.01, None, None, None)  # 1.2 cents < min cost
    assert e.value.reason == "min_cost"
    with pytest.raises(SimReject) as e:
        ex.cancel("k", "nope", None)
    assert e.value.reason == "unknown_order"
