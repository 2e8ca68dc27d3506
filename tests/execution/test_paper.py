from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from dexcex.config.models import ExecutionSettings
from dexcex.domain import (
    BookLevel,
    Direction,
    ManualClock,
    OrderBook,
    OrderStatus,
    Regime,
    RiskDecision,
    Side,
    VenueId,
)
from dexcex.execution.paper import Execution, PaperBroker, walk_fills
from dexcex.execution.positions import Position
from tests.factories import T0, make_signal

D = Decimal


def book(ts: int, bids: list[tuple[float, float]], asks: list[tuple[float, float]]) -> OrderBook:
    return OrderBook(
        VenueId.MEXC,
        "WIF/USDT",
        tuple(BookLevel(p, s) for p, s in bids),
        tuple(BookLevel(p, s) for p, s in asks),
        1,
        ts,
        ts,
    )


def decision(size: float, sid: str, approved: bool = True) -> RiskDecision:
    return RiskDecision(
        sid,
        T0,
        approved,
        size,
        size * 100,
        100.0,
        100.0,
        5.0,
        Regime.NORMAL,
        ("all checks passed",),
    )


def broker(**kw: object) -> tuple[PaperBroker, ManualClock, list[Execution]]:
    clock = ManualClock(T0)
    out: list[Execution] = []
    p = ExecutionSettings(**{"latency_ms": 200, **kw})  # type: ignore[arg-type]
    return PaperBroker(p, {VenueId.MEXC: 5.0}, clock, out.append), clock, out


ASKS = [(100.0, 1.0), (101.0, 2.0), (102.0, 5.0)]
BIDS = [(99.0, 1.0), (98.0, 2.0)]


def test_walk_fills_by_hand() -> None:
    b = book(T0, BIDS, ASKS)
    assert walk_fills(b, Side.BUY, D("2.5")) == [(D("100.0"), D("1.0")), (D("101.0"), D("1.5"))]
    assert walk_fills(b, Side.SELL, D("5")) == [(D("99.0"), D("1.0")), (D("98.0"), D("2.0"))]


def test_entry_fills_on_the_book_at_arrival_with_fees_and_slippage() -> None:
    pb, _, out = broker()
    base = make_signal(ts=T0)  # long WIF/USDT on MEXC; the mid when it fired: 99.5
    assert base.cex is not None
    sig = msgspec.structs.replace(
        base, cex=msgspec.structs.replace(base.cex, bid=99.0, ask=100.0, mid=99.5)
    )
    order = pb.submit(sig, decision(2.5, sig.id))
    assert order is not None and order.status is OrderStatus.SENT
    pb.on_book(book(T0 + 100, [(10.0, 1.0)], [(50.0, 10.0)]))  # before arrival: not used
    assert not out
    pb.on_book(book(T0 + 250, BIDS, ASKS))
    (ex,) = out
    o = ex.order
    assert o.status is OrderStatus.FILLED and o.filled_qty == D("2.5")
    # 1 @ 100 + 1.5 @ 101 = 251.5 → avg 100.6; taker fee 5 bps of each level's notional
    assert o.avg_price == D("100.6")
    assert o.fee_quote == D("0.05") + D("0.07575")
    assert [(f.price, f.qty, f.fee) for f in ex.fills] == [
        (D("100.0"), D("1.0"), D("0.05")),
        (D("101.0"), D("1.5"), D("0.07575")),
    ]
    assert o.ts_ack == T0 + 200 and o.ts_updated == T0 + 250
    # slippage against the mid when the signal fired (99.5)
    assert ex.realized_slippage_bps == pytest.approx((100.6 / 99.5 - 1) * 1e4)
    pos = pb.positions.get("wif", "dex")
    assert pos.qty == D("2.5") and pos.avg_price == D("100.6")
    assert pos.realized == -(D("0.05") + D("0.07575"))


def test_partial_fill_when_the_depth_runs_out() -> None:
    pb, _, out = broker(fee_stress=2.0)
    sig = make_signal(ts=T0)
    pb.submit(sig, decision(10.0, sig.id))
    pb.on_book(book(T0 + 300, BIDS, ASKS))
    (ex,) = out
    assert ex.order.status is OrderStatus.CANCELED
    assert ex.order.filled_qty == D("8") and ex.order.error is not None
    # 100 + 202 + 510 = 812 over 8; fee 5 bps × 2 (stress) = 10 bps of 812
    assert ex.order.avg_price == D("101.5")
    assert ex.order.fee_quote == D("0.812")


def test_exits_take_profit_stop_loss_and_time() -> None:
    pb, _, out = broker(take_profit_bps=50, stop_loss_bps=30, exit_after_s=60)
    sig = make_signal(ts=T0)
    pb.submit(sig, decision(1.0, sig.id))
    pb.on_book(book(T0 + 200, [(99.9, 5.0)], [(100.0, 5.0)]))  # entry @ 100
    pb.on_book(book(T0 + 1000, [(100.3, 5.0)], [(100.4, 5.0)]))  # +35 bps: hold
    assert len(out) == 1
    pb.on_book(book(T0 + 2000, [(100.5, 5.0)], [(100.6, 5.0)]))  # mid +55 bps: take profit
    pb.on_book(book(T0 + 2300, [(100.5, 5.0)], [(100.6, 5.0)]))  # exit arrives, sells @ 100.5
    entry, exit_ = out
    assert exit_.leg == "exit" and exit_.reason.startswith("take profit")
    assert exit_.order.side is Side.SELL and exit_.order.avg_price == D("100.5")
    assert exit_.order.client_order_id != entry.order.client_order_id
    pos = pb.positions.get("wif", "dex")
    assert pos.qty == 0
    fees = entry.order.fee_quote + exit_.order.fee_quote
    assert pos.realized == D("0.5") - fees
    assert pb.open_trades() == 0

    pb2, _, out2 = broker(take_profit_bps=500, stop_loss_bps=30, exit_after_s=60)
    s2 = make_signal(ts=T0, direction=Direction.LONG)
    pb2.submit(s2, decision(1.0, s2.id))
    pb2.on_book(book(T0 + 200, [(99.9, 5.0)], [(100.0, 5.0)]))
    pb2.on_book(book(T0 + 500, [(99.6, 5.0)], [(99.7, 5.0)]))  # −35 bps: stop
    pb2.on_book(book(T0 + 800, [(99.6, 5.0)], [(99.7, 5.0)]))
    assert out2[-1].reason.startswith("stop loss")

    pb3, _, out3 = broker(take_profit_bps=500, stop_loss_bps=500, exit_after_s=60)
    s3 = make_signal(ts=T0)
    pb3.submit(s3, decision(1.0, s3.id))
    pb3.on_book(book(T0 + 200, [(99.9, 5.0)], [(100.0, 5.0)]))
    pb3.on_book(book(T0 + 60_300, [(99.9, 5.0)], [(100.0, 5.0)]))
    pb3.on_book(book(T0 + 60_600, [(99.9, 5.0)], [(100.0, 5.0)]))
    assert out3[-1].reason.startswith("time exit")


def test_one_position_per_asset_and_origin_and_only_approved_signals() -> None:
    pb, _, _ = broker()
    a, b = make_signal(1, ts=T0), make_signal(2, ts=T0)
    assert pb.submit(a, decision(1.0, a.id, approved=False)) is None
    assert pb.submit(a, decision(1.0, a.id)) is not None
    assert pb.submit(b, decision(1.0, b.id)) is None and pb.skipped == 2
    c = make_signal(3, ts=T0, origin="cex_baseline")
    assert pb.submit(c, decision(1.0, c.id)) is not None  # the baseline trades on its own


def test_position_average_cost_and_flip_by_hand() -> None:
    p = Position("wif", "dex")
    p.apply(Side.BUY, D(2), D(100), D("0.1"), 1)
    p.apply(Side.BUY, D(2), D(110), D("0.1"), 2)
    assert p.avg_price == D(105) and p.qty == D(4)
    r = p.apply(Side.SELL, D(1), D(120), D("0.1"), 3)
    assert r == D(15) - D("0.1") and p.qty == D(3) and p.avg_price == D(105)
    p.apply(Side.SELL, D(5), D(100), D(0), 4)  # closes 3 (−15), opens a short of 2 at 100
    assert p.qty == D(-2) and p.avg_price == D(100)
    assert p.realized == D(15) - D("0.3") - D(15)
    assert p.unrealized(D(90)) == D(20)
