"""Any payload into a venue parser: a value or a counted rejection, never an exception."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dexcex.domain import InvalidInput, OrderBook, SourceKind, TradingMode, VenueId
from dexcex.edge.health import HealthTracker
from dexcex.venues.bybit.client import _BybitPro
from dexcex.venues.bybit.parse import parse_book_message, parse_trade_message
from dexcex.venues.ccxt_parse import book_from_ccxt, order_from_ccxt, trade_from_ccxt
from dexcex.venues.mexc.client import _MexcPro
from dexcex.venues.mexc.parse import parse_deals_push, parse_depth_push
from tests.strategies import mutated
from tests.venues.test_bybit_parse import DELTA, SNAPSHOT, TRADE
from tests.venues.test_mexc_parse import DEPTH_EXAMPLE, VECTOR, decode

_LOOP = asyncio.new_event_loop()
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def value_or_rejection(fn: Any, *args: Any) -> None:
    with contextlib.suppress(InvalidInput):
        fn(*args)


@FAST
@given(mutated(DEPTH_EXAMPLE))
def test_mexc_depth(payload: Any) -> None:
    value_or_rejection(parse_depth_push, payload)


@FAST
@given(mutated(decode(VECTOR)))
def test_mexc_deals(payload: Any) -> None:
    value_or_rejection(parse_deals_push, payload)


@FAST
@given(st.one_of(mutated(SNAPSHOT), mutated(DELTA)))
def test_bybit_book(payload: Any) -> None:
    value_or_rejection(parse_book_message, payload)


@FAST
@given(mutated(TRADE))
def test_bybit_trades(payload: Any) -> None:
    value_or_rejection(parse_trade_message, payload)


CCXT_BOOK = {
    "bids": [[1.2, 10.0], [1.1, 5.0]],
    "asks": [[1.3, 4.0]],
    "timestamp": 1_700_000_000_000,
    "nonce": 7,
}
CCXT_TRADE = {
    "id": "t1",
    "symbol": "WIF/USDT",
    "side": "buy",
    "price": 1.2,
    "amount": 3.0,
    "timestamp": 1_700_000_000_000,
}
CCXT_ORDER = {
    "id": "o1",
    "clientOrderId": "dxe0x",
    "symbol": "WIF/USDT",
    "side": "sell",
    "type": "limit",
    "amount": 10.0,
    "price": 1.25,
    "filled": 4.0,
    "status": "open",
    "average": 1.25,
    "timestamp": 1_700_000_000_000,
    "fee": {"cost": 0.01},
}


@FAST
@given(mutated(CCXT_BOOK))
def test_ccxt_book(payload: Any) -> None:
    try:
        book = book_from_ccxt(payload, VenueId.MEXC, "WIF/USDT", 1, 1_700_000_000_000)
    except InvalidInput:
        return
    assert isinstance(book, OrderBook)


@pytest.mark.parametrize("ts", [float("inf"), float("-inf"), float("nan"), 1e400])
def test_a_book_with_an_impossible_timestamp_is_a_rejection(ts: float) -> None:
    # found by the fuzz test above: int(inf) raised OverflowError out of the parser
    with pytest.raises(InvalidInput):
        book_from_ccxt({**CCXT_BOOK, "timestamp": ts}, VenueId.MEXC, "WIF/USDT", 1, 1)


@FAST
@given(mutated(CCXT_TRADE))
def test_ccxt_trade(payload: Any) -> None:
    value_or_rejection(trade_from_ccxt, payload, VenueId.BYBIT, 1_700_000_000_000)


@FAST
@given(mutated(CCXT_ORDER))
def test_ccxt_order(payload: Any) -> None:
    with contextlib.suppress(InvalidInput):
        order_from_ccxt(payload, VenueId.BYBIT, mode=TradingMode.LIVE, ts_now=1_700_000_000_000)


_EXCHANGES: dict[str, Any] = {}
_URLS = itertools.count()


def _guarded_client(cls: Any, path: str) -> tuple[Any, HealthTracker]:
    """A fresh guarded client (a new URL each time) of one shared exchange per venue."""
    ex = _EXCHANGES.get(cls.__name__)
    if ex is None:
        ex = _EXCHANGES[cls.__name__] = cls({})
        ex.asyncio_loop = _LOOP  # ccxt wants a loop object; nothing here runs on it
        ex.markets = {}
    tracker = HealthTracker(ex.id, SourceKind.CEX_VENUE, lambda: 0)
    ex.dexcex_tracker = tracker
    # ccxt's client creates a Future on the current loop; async tests before this one
    # may have left none set
    asyncio.set_event_loop(_LOOP)
    return ex.client(f"ws://127.0.0.1:1/{next(_URLS)}{path}"), tracker


@pytest.fixture(scope="module", autouse=True)
def _close_exchanges() -> Iterator[None]:
    yield
    for ex in _EXCHANGES.values():
        _LOOP.run_until_complete(ex.close())


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_any_frame_into_the_guarded_ccxt_clients_is_contained(frame: bytes | str) -> None:
    for cls, path in ((_MexcPro, "/ws"), (_BybitPro, "/v5/public/spot")):
        client, tracker = _guarded_client(cls, path)
        client.handle_text_or_binary_message(frame)  # must not raise
        before = tracker.rejected_total
        client.handle_text_or_binary_message(frame)
        # a repeated data frame is a duplicate or the same garbage: either way counted
        if isinstance(frame, bytes) or '"topic"' in frame:
            assert tracker.rejected_total == before + 1
