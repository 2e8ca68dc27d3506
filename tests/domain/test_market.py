from __future__ import annotations

import math

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dexcex.domain import (
    BookLevel,
    CexTrade,
    Chain,
    DexSwap,
    DomainValidationError,
    OrderBook,
    Side,
    VenueId,
)

T0 = 1_700_000_000_000
prices = st.floats(min_value=1e-9, max_value=1e7, allow_nan=False, allow_infinity=False)
sizes = st.floats(min_value=1e-9, max_value=1e12, allow_nan=False, allow_infinity=False)
bad_numbers = st.one_of(
    st.just(math.nan),
    st.just(math.inf),
    st.just(-math.inf),
    st.floats(max_value=0.0, allow_nan=False, allow_infinity=False),
)


def swap(**kw: object) -> DexSwap:
    base: dict[str, object] = dict(
        asset_id="wif",
        chain=Chain.SOLANA,
        dex="raydium",
        pool="EP2ib6dYdEeqD8MfE2ezHCxX3kP3K2eLKkirfPm5eyMx",
        tx_id="tx1",
        trader="owner1",
        side=Side.BUY,
        base_amount=100.0,
        quote_amount=1.5,
        usd_value=250.0,
        price_native=0.015,
        price_usd=2.5,
        ts_event=T0,
        ts_recv=T0 + 40,
    )
    base.update(kw)
    return DexSwap(**base)  # type: ignore[arg-type]


@given(
    bids=st.lists(st.tuples(prices, sizes), max_size=30, unique_by=lambda x: x[0]),
    asks=st.lists(st.tuples(prices, sizes), max_size=30, unique_by=lambda x: x[0]),
)
def test_book_from_any_levels_is_sorted_and_uncrossed_or_rejected(
    bids: list[tuple[float, float]], asks: list[tuple[float, float]]
) -> None:
    crossed = bool(bids and asks and max(p for p, _ in bids) >= min(p for p, _ in asks))
    if crossed:
        with pytest.raises(DomainValidationError, match="crossed"):
            OrderBook.from_pairs(VenueId.MEXC, "WIF/USDT", bids, asks, 1, T0, T0)
        return
    book = OrderBook.from_pairs(VenueId.MEXC, "WIF/USDT", bids, asks, 1, T0, T0)
    bid_prices = [lv.price for lv in book.bids]
    ask_prices = [lv.price for lv in book.asks]
    assert bid_prices == sorted(bid_prices, reverse=True)
    assert ask_prices == sorted(ask_prices)
    assert all(lv.size > 0 for lv in (*book.bids, *book.asks))
    if book.bids and book.asks:
        assert book.best_bid is not None and book.best_ask is not None
        assert book.best_bid < book.best_ask
        assert book.mid is not None and book.best_bid < book.mid < book.best_ask
        assert book.spread_bps is not None and book.spread_bps > 0


@given(bad=bad_numbers)
def test_book_level_rejects_non_positive_or_non_finite(bad: float) -> None:
    with pytest.raises(DomainValidationError, match="BookLevel"):
        BookLevel(price=1.0, size=bad)
    with pytest.raises(DomainValidationError, match="BookLevel"):
        BookLevel(price=bad, size=1.0)


def test_book_rejects_unsorted_levels_with_a_clear_message() -> None:
    with pytest.raises(DomainValidationError, match=r"bids: prices must be strictly descending"):
        OrderBook(
            venue=VenueId.MEXC,
            symbol="WIF/USDT",
            bids=(BookLevel(1.0, 1.0), BookLevel(2.0, 1.0)),
            asks=(),
            sequence=1,
            ts_event=T0,
            ts_recv=T0,
        )


def test_book_depth_within_one_percent_hand_computed() -> None:
    book = OrderBook.from_pairs(
        VenueId.BYBIT,
        "WIF/USDT",
        bids=[(99.5, 2.0), (98.0, 10.0)],
        asks=[(100.5, 1.0), (101.2, 5.0)],
        sequence=7,
        ts_event=T0,
        ts_recv=T0,
    )
    assert book.mid == 100.0
    assert book.spread_bps == pytest.approx(100.0)
    # within 1 % of 100: bids >= 99, asks <= 101
    assert book.depth_quote(100) == pytest.approx((199.0, 100.5))


@given(
    base=sizes,
    quote=sizes,
    usd=st.floats(min_value=0, max_value=1e12, allow_nan=False),
    price=prices,
    side=st.sampled_from(Side),
)
def test_valid_swaps_round_trip_through_msgpack(
    base: float, quote: float, usd: float, price: float, side: Side
) -> None:
    s = swap(base_amount=base, quote_amount=quote, usd_value=usd, price_usd=price, side=side)
    enc = msgspec.msgpack.encode(s)
    assert msgspec.msgpack.decode(enc, type=DexSwap) == s


@given(field=st.sampled_from(["base_amount", "quote_amount", "price_usd"]), bad=bad_numbers)
def test_swap_rejects_bad_amounts_naming_the_field(field: str, bad: float) -> None:
    with pytest.raises(DomainValidationError, match=field):
        swap(**{field: bad})


@pytest.mark.parametrize("ts", [1_700_000_000, 1_700_000_000_000_000, -1])
def test_timestamps_must_be_milliseconds(ts: int) -> None:
    with pytest.raises(DomainValidationError, match="ts_event"):
        swap(ts_event=ts)


def test_decoding_a_bad_wire_value_raises_a_validation_error() -> None:
    good = msgspec.json.encode(swap())
    bad = good.replace(b'"base_amount":100.0', b'"base_amount":-3.0')
    assert bad != good
    with pytest.raises(msgspec.ValidationError, match="base_amount"):
        msgspec.json.decode(bad, type=DexSwap)


@given(price=prices, size=sizes)
def test_cex_trade_valid(price: float, size: float) -> None:
    t = CexTrade(VenueId.MEXC, "WIF/USDT", "1", Side.SELL, price, size, T0, T0)
    assert t.side.opposite is Side.BUY


def test_events_are_immutable() -> None:
    s = swap()
    with pytest.raises(AttributeError):
        s.base_amount = 5.0  # type: ignore[misc]
