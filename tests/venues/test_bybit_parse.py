"""Bybit parsing on documented examples (shared/protocols/bybit.md) and recorded real v5
websocket messages (cryptofeed's sample data, excerpts in tests/resources/bybit)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dexcex.domain import InvalidInput, SourceKind
from dexcex.edge.health import HealthTracker
from dexcex.venues.base import BookUpdate
from dexcex.venues.bybit.client import _BybitPro
from dexcex.venues.bybit.parse import parse_book_message, parse_trade_message, sequence_verdict

RES = Path(__file__).parent.parent / "resources" / "bybit" / "ws"

SNAPSHOT = {
    "topic": "orderbook.50.BTCUSDT",
    "type": "snapshot",
    "ts": 1672304484978,
    "data": {
        "s": "BTCUSDT",
        "b": [["16493.50", "0.006"], ["16493.00", "0.100"]],
        "a": [["16611.00", "0.029"], ["16612.00", "0.213"]],
        "u": 18521288,
        "seq": 7961638724,
    },
    "cts": 1672304484976,
}
DELTA = {
    "topic": "orderbook.50.BTCUSDT",
    "type": "delta",
    "ts": 1687940967466,
    "data": {
        "s": "BTCUSDT",
        "b": [["30247.20", "30.028"], ["30240.00", "0"]],
        "a": [["30248.70", "0"], ["30249.30", "0.892"]],
        "u": 177400507,
        "seq": 66544703342,
    },
    "cts": 1687940967464,
}
TRADE = {
    "topic": "publicTrade.BTCUSDT",
    "type": "snapshot",
    "ts": 1672304486868,
    "data": [
        {
            "T": 1672304486865,
            "s": "BTCUSDT",
            "S": "Buy",
            "v": "0.001",
            "p": "16578.50",
            "i": "20f43950-d8dd-5b31-9112-a178eb6023af",
            "BT": False,
            "RPI": False,
            "seq": 1783284617,
        }
    ],
}


def recorded(name: str) -> list[dict[str, Any]]:
    """Received messages of a cryptofeed recording (``<ts>: <json>`` lines)."""
    out = []
    for line in (RES / name).read_text().splitlines():
        head, sep, body = line.partition(": ")
        if sep and " " not in head:  # a received message, not a sent one or a connect
            out.append(json.loads(body))
    return out


def test_documented_snapshot_delta_and_trade() -> None:
    s = parse_book_message(SNAPSHOT)
    assert s.snapshot and s.last == 18521288
    assert s.bids == [(16493.5, 0.006), (16493.0, 0.1)]
    d = parse_book_message(DELTA)
    assert not d.snapshot and d.bids[1] == (30240.0, 0.0) and d.asks[0] == (30248.7, 0.0)
    trades, bad = parse_trade_message(TRADE)
    assert bad == [] and trades[0].price == 16578.5 and trades[0].side.value == "buy"
    assert trades[0].trade_id == "20f43950-d8dd-5b31-9112-a178eb6023af"


@pytest.mark.parametrize("name", ["BYBIT.v5.spot.ws.2.0.head80", "BYBIT.v5.linear.ws.1.0.head80"])
def test_every_recorded_book_message_parses(name: str) -> None:
    msgs = [m for m in recorded(name) if str(m.get("topic", "")).startswith("orderbook.")]
    assert len(msgs) >= 20
    last_u: dict[str, int] = {}
    for m in msgs:
        u = parse_book_message(m)
        assert u.symbol == m["data"]["s"] and u.bids and u.asks
        assert u.bids[0][0] < u.asks[0][0]
        assert u.last >= last_u.get(u.symbol, 0)  # update ids never go back per symbol
        last_u[u.symbol] = u.last
    assert len(last_u) >= 4


def test_recorded_messages_through_our_guarded_ccxt_client() -> None:
    """The real messages drive ccxt.pro's book through our hooks: the resulting top of
    book per symbol is the last recorded snapshot's, and nothing is rejected."""
    ex = _BybitPro({})
    ex.markets_by_id = {}
    tracker = HealthTracker("bybit", SourceKind.CEX_VENUE, lambda: 0)
    ex.dexcex_tracker = tracker
    msgs = [m for m in recorded("BYBIT.v5.spot.ws.2.0.head80") if "topic" in m]
    ex.set_markets(
        {
            f"{m['data']['s']}": {
                "id": m["data"]["s"],
                "symbol": m["data"]["s"],
                "spot": True,
                "type": "spot",
                "base": "X",
                "quote": "Y",
            }
            for m in msgs
        }
    )
    client = type(
        "C",
        (),
        {
            "resolve": lambda *a, **k: None,
            "subscriptions": {},
            "url": "wss://stream.bybit.com/v5/public/spot",
        },
    )()
    for m in msgs:
        ex.handle_message(client, m)
    assert tracker.rejected_total == 0
    last = {m["data"]["s"]: m["data"] for m in msgs}
    for sym, data in last.items():
        book = ex.orderbooks[ex.safe_symbol(sym, None, None, "spot")]
        assert book["bids"][0][0] == float(data["b"][0][0])
        assert book["asks"][0][0] == float(data["a"][0][0])


@pytest.mark.parametrize(
    "msg",
    [
        {**DELTA, "type": "partial"},
        {**DELTA, "data": {**DELTA["data"], "u": "soon"}},
        {**DELTA, "data": {**DELTA["data"], "b": [["abc", "1"]]}},
        {**DELTA, "data": {**DELTA["data"], "a": [["1", "-2"]]}},
        {**DELTA, "topic": "orderbook.50.ETHUSDT"},
        {"topic": "orderbook.50.BTCUSDT", "type": "delta"},
    ],
)
def test_bad_book_messages_are_rejected(msg: Any) -> None:
    with pytest.raises(InvalidInput):
        parse_book_message(msg)


def test_u_rule() -> None:
    def u(last: int, snapshot: bool = False) -> BookUpdate:
        return BookUpdate("X", snapshot, last, last, [], [], 0)

    assert sequence_verdict(None, u(10)) == "wait"
    assert sequence_verdict(None, u(10, snapshot=True)) == "reset"
    assert sequence_verdict(10, u(11)) == "apply"
    assert sequence_verdict(10, u(13)) == "gap"
    assert sequence_verdict(10, u(9)) == "old"
    assert parse_book_message({**DELTA, "data": {**DELTA["data"], "u": 1}}).snapshot  # restart
