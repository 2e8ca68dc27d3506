from __future__ import annotations

from pathlib import Path

import pytest

from dexcex.domain import Asset, CexTrade, DexSwap, OrderBook, PoolLiquidity, Side, VenueId
from dexcex.evaluation.readers import (
    CandleReader,
    CryptofeedReader,
    SimLogReader,
    UniswapV3Reader,
    open_reader,
)

RES = Path(__file__).parents[1] / "resources"
UNI = (
    RES / "real" / "ethereum-0x88e6a0c2ddd26feeb64f039a2c41296fcb3f5640-2024-01-05.tick.head60.csv"
)
CF_V2 = RES / "real" / "BYBIT.ws.26.0.head60"
CF_V5 = RES / "bybit" / "ws" / "BYBIT.v5.linear.ws.1.0.head80"


def write_candles(path: Path, closes: list[float], t0: int = 1704412800000) -> Path:
    lines = ["open_time,open,high,low,close,volume,count,taker_buy_volume"]
    for i, c in enumerate(closes):
        lines.append(f"{t0 + i * 60_000},{c},{c},{c},{c},100.0,10,50.0")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_uniswap_v3_swaps_by_hand() -> None:
    r = open_reader(UNI)
    assert isinstance(r, UniswapV3Reader)
    items = list(r.items())
    assert isinstance(items[0], Asset) and items[0].id == "eth"
    swaps = [i for i in items if isinstance(i, DexSwap)]
    # row 1: amount0 −22.686110 USDC, amount1 +0.01 WETH — the trader sold WETH
    s = swaps[0]
    assert s.side is Side.SELL
    assert s.base_amount == pytest.approx(0.01)
    assert s.usd_value == pytest.approx(22.68611)
    assert s.price_usd == pytest.approx(2268.611)
    assert s.ts_event == 1704412823000  # 2024-01-05 00:00:23 UTC
    # row 2: +1779.711470 USDC in, −0.783707… WETH out — bought
    b = swaps[1]
    assert b.side is Side.BUY
    assert b.base_amount == pytest.approx(0.783707260129944808)
    assert b.price_usd == pytest.approx(1779.71147 / 0.783707260129944808)
    liq = [i for i in items if isinstance(i, PoolLiquidity)]
    assert liq and all(x.liquidity_usd > 1e6 for x in liq)  # a major pool's in-range depth
    assert "swaps" in r.describe() and r.counts["swaps"] == len(swaps)


def test_candles_become_thin_books_at_the_minutes_end(tmp_path: Path) -> None:
    r = open_reader(write_candles(tmp_path / "k.csv", [2000.0, 2001.0]))
    assert isinstance(r, CandleReader)
    books = [i for i in r.items() if isinstance(i, OrderBook)]
    assert [b.ts_event for b in books] == [1704412860000, 1704412920000]
    assert books[1].mid == pytest.approx(2001.0)
    assert books[0].venue is VenueId.MEXC and books[0].symbol == "ETH/USDT"


def test_cryptofeed_legacy_v2_trades_and_books() -> None:
    r = open_reader(CF_V2)
    assert isinstance(r, CryptofeedReader)
    items = list(r.items())
    trades = [i for i in items if isinstance(i, CexTrade)]
    books = [i for i in items if isinstance(i, OrderBook)]
    first = trades[0]
    assert (first.symbol, first.side, first.price, first.size) == (
        "BTC/USD",
        Side.SELL,
        60621.5,
        4.0,
    )
    assert first.ts_event == 1618677786614
    assert books and all(b.best_bid < b.best_ask for b in books)  # type: ignore[operator]
    assert {b.symbol for b in books} == {"BTC/USD", "EOS/USD"}


def test_cryptofeed_v5_books() -> None:
    r = open_reader(CF_V5)
    assert isinstance(r, CryptofeedReader)
    books = [i for i in r.items() if isinstance(i, OrderBook)]
    assert books and books[0].venue is VenueId.BYBIT and books[0].symbol.endswith("/USDT")


def test_unknown_and_unreadable_files_are_explained(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello\n")
    msg = open_reader(tmp_path / "notes.txt")
    assert msg == "notes.txt: not a format dexcex knows (first line: 'hello')"
    d = tmp_path / "dir"
    d.mkdir()
    assert isinstance(open_reader(d), str)


def test_bad_rows_are_counted_not_fatal(tmp_path: Path) -> None:
    p = write_candles(tmp_path / "k.csv", [2000.0, 2001.0])
    p.write_text(p.read_text() + "1704413000000,1,1,1,nan,1,1,1\n1704413060000,1,1,1,-5,1,1,1\n")
    r = open_reader(p)
    assert isinstance(r, CandleReader)
    assert len([i for i in r.items() if isinstance(i, OrderBook)]) == 2
    assert r.counts["rows rejected"] == 2 and len(r.problems) == 2


def test_sim_log_is_recognised(sim_log: Path) -> None:
    r = open_reader(sim_log)
    assert isinstance(r, SimLogReader)
