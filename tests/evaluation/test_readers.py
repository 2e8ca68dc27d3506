"""One test per format: parsed count, time span and first price — on the real files of
shared/data/real read in place, and on tiny written fixtures for formats absent there."""

from __future__ import annotations

from pathlib import Path

import pytest

from dexcex.domain import Asset, CexTrade, Chain, DexSwap, OrderBook, PoolLiquidity, Side, VenueId
from dexcex.evaluation.readers import (
    BinanceKlinesReader,
    CaptureReader,
    CryptofeedReader,
    DuneTradesReader,
    FreqtradeReader,
    RecordingReader,
    SimLogReader,
    UniswapV3Reader,
    open_reader,
)
from dexcex.evaluation.readers.binance import AggTradesReader, BookTickerReader
from dexcex.evaluation.readers.registry import SIDECAR
from tests.evaluation.fixtures import (
    OSQTH_POOL,
    RES,
    real,
    write_agg_trades,
    write_book_ticker,
    write_capture,
    write_feather,
    write_klines,
    write_uniswap,
)

UNI = (
    RES / "real" / "ethereum-0x88e6a0c2ddd26feeb64f039a2c41296fcb3f5640-2024-01-05.tick.head60.csv"
)
CF_V2 = RES / "real" / "BYBIT.ws.26.0.head60"


def _events(r: object) -> list[object]:
    assert not isinstance(r, str), r
    return [i for i in r.items() if not isinstance(i, Asset)]  # type: ignore[attr-defined]


def test_uniswap_v3_swaps_by_hand() -> None:
    r = open_reader(UNI)
    assert isinstance(r, UniswapV3Reader)
    items = list(r.items())
    assert isinstance(items[0], Asset) and items[0].id == "eth"
    swaps = [i for i in items if isinstance(i, DexSwap)]
    # row 1: amount0 −22.686110 USDC, amount1 +0.01 WETH — the trader sold WETH
    s = swaps[0]
    assert s.side is Side.SELL and s.chain is Chain.ETHEREUM
    assert s.base_amount == pytest.approx(0.01)
    assert s.usd_value == pytest.approx(22.68611)
    assert s.price_usd == pytest.approx(2268.611)
    assert s.ts_event == 1704412823000  # 2024-01-05 00:00:23 UTC
    b = swaps[1]  # +1779.711470 USDC in, −0.783707… WETH out — bought
    assert b.side is Side.BUY
    assert b.price_usd == pytest.approx(1779.71147 / 0.783707260129944808)
    liq = [i for i in items if isinstance(i, PoolLiquidity)]
    assert liq and all(x.liquidity_usd > 1e6 for x in liq)  # a major pool's in-range depth


def test_uniswap_real_file_in_place() -> None:
    r = open_reader(
        real(
            "demeter-fetch-uniswapv3/"
            "ethereum-0x8ad599c3a0ff1de082011efddc58f1908eb6e6d8-2024-01-05.pool.tick.csv"
        )
    )
    swaps = [e for e in _events(r) if isinstance(e, DexSwap)]
    assert len(swaps) == 267  # SOURCE.md: 267 SWAP rows
    assert (r.first_ts, r.last_ts) == (1704414803000, 1704498575000)  # type: ignore[union-attr]
    assert swaps[0].price_usd == pytest.approx(2265.95, abs=0.01)


def test_unknown_pool_is_skipped_not_guessed(tmp_path: Path) -> None:
    p = write_uniswap(tmp_path / f"ethereum-{OSQTH_POOL}-2023-03-01.tick.csv")
    why = open_reader(p)
    assert isinstance(why, str)
    assert "unknown" in why and OSQTH_POOL in why and SIDECAR in why


def test_sidecar_names_the_pool_and_its_chain(tmp_path: Path) -> None:
    pool = "0x45dda9cb7c25131df268515131f647d726f50608"
    (tmp_path / SIDECAR).write_text(
        f'[[pool]]\nchain = "polygon"\naddress = "{pool}"\ntoken0 = "USDC"\ndecimals0 = 6\n'
        'token1 = "WETH"\ndecimals1 = 18\nbase = 1\nasset = "ETH"\n'
    )
    sub = tmp_path / "day"
    sub.mkdir()
    r = open_reader(write_uniswap(sub / f"polygon-{pool}-2023-03-01.tick.csv"))
    assert isinstance(r, UniswapV3Reader)
    swaps = [e for e in r.items() if isinstance(e, DexSwap)]
    assert len(swaps) == 5 and all(s.chain is Chain.POLYGON for s in swaps)
    assert swaps[0].price_usd == pytest.approx(1600.0) and swaps[0].side is Side.BUY
    # the same pool on a chain the sidecar does not name is not taken for it
    other = write_uniswap(sub / f"bsc-{pool}-2023-03-01.tick.csv")
    assert isinstance(open_reader(other), str)


def test_dune_real_export_counts_each_fill_once() -> None:
    r = open_reader(real("dune-dextrades-2022-04-20/dex_trades.csv"))
    assert isinstance(r, DuneTradesReader)
    swaps = [e for e in _events(r) if isinstance(e, DexSwap)]
    assert len(swaps) == r.counts["fills"] == 19_784
    assert r.counts["aggregator rows folded into their DEX fill"] == 3_581
    assert (r.first_ts, r.last_ts) == (1650412915000, 1650499190000)  # 00:01:55–23:59:50
    first = swaps[0]  # TUSD bought for WETH via 0x API over 0x Native: one ETH sell
    assert (first.asset_id, first.side) == ("eth", Side.SELL)
    assert first.price_usd == pytest.approx(10004.98 / 3.225546)
    assert first.trader == "0x74de5d4fcbf63e00296fd95d33236b9794016631"


def test_dune_side_agrees_with_cex_prices() -> None:
    """Dune's ETH prices on the day sit within 2 % of Binance's hourly closes."""
    swaps = [e for e in _events(open_reader(real("dune-dextrades-2022-04-20/dex_trades.csv")))]
    eth = [s for s in swaps if isinstance(s, DexSwap) and s.asset_id == "eth"]
    books = _events(open_reader(real("cex-binance-spot-2022-04-20/ETH_USDT-1h.json")))
    mids = {b.ts_event // 3_600_000: b.mid for b in books if isinstance(b, OrderBook)}
    off = [
        s.price_usd / mids[s.ts_event // 3_600_000] - 1
        for s in eth
        if s.ts_event // 3_600_000 in mids
    ]
    assert len(off) > 1000
    assert sorted(abs(x) for x in off)[len(off) // 2] < 0.02


def test_freqtrade_json_real() -> None:
    r = open_reader(real("cex-binance-spot-2022-04-20/AAVE_USDT-15m.json"))
    assert isinstance(r, FreqtradeReader) and r.bar_ms == 900_000
    books = _events(r)
    assert len(books) == 192
    first = books[0]
    assert isinstance(first, OrderBook) and first.symbol == "AAVE/USDT"
    assert first.ts_event == 1650326400000 + 900_000 and first.mid == pytest.approx(171.1)
    assert (r.first_ts, r.last_ts) == (1650327300000, 1650499200000)  # a bar's close time
    assert r.book_origin == "assumed"


def test_freqtrade_feather(tmp_path: Path) -> None:
    p = write_feather(tmp_path / "ARB_USDT-5m.feather", [1.0, 1.01, 1.02], 1710115200000, 300_000)
    r = open_reader(p)
    assert isinstance(r, FreqtradeReader) and r.bar_ms == 300_000
    books = _events(r)
    assert [b.ts_event for b in books] == [1710115500000, 1710115800000, 1710116100000]  # type: ignore[attr-defined]
    assert books[0].mid == pytest.approx(1.0) and books[2].mid == pytest.approx(1.02)  # type: ignore[attr-defined]


def test_binance_klines_real_futures() -> None:
    r = open_reader(real("cex-eth-2024-01-05/binance-futures-um-ETHUSDT-1m-2024-01-05.csv"))
    assert isinstance(r, BinanceKlinesReader) and r.symbol == "ETH/USDT"
    books = _events(r)
    assert len(books) == 1440
    assert books[0].ts_event == 1704412860000 and books[0].mid == pytest.approx(2268.56)  # type: ignore[attr-defined]
    assert r.last_ts == 1704499200000


def test_binance_klines_spot_headerless_microseconds(tmp_path: Path) -> None:
    p = write_klines(
        tmp_path / "PEPEUSDT-1m-2025-03-10.csv",
        [1e-5, 1.1e-5],
        1741564800000,
        header=False,
        micros=True,
    )
    r = open_reader(p)
    assert isinstance(r, BinanceKlinesReader) and r.symbol == "PEPE/USDT"
    books = _events(r)
    assert [b.ts_event for b in books] == [1741564860000, 1741564920000]  # type: ignore[attr-defined]


def test_binance_agg_trades(tmp_path: Path) -> None:
    r = open_reader(write_agg_trades(tmp_path / "ARBUSDT-aggTrades-2025-03-10.csv", 1741564800000))
    assert isinstance(r, AggTradesReader)
    ev = _events(r)
    trades = [e for e in ev if isinstance(e, CexTrade)]
    assert len(trades) == 30 and trades[0].price == pytest.approx(1.5)
    assert trades[0].side is Side.BUY and trades[1].side is Side.SELL  # buyer-maker: taker sold
    assert (r.first_ts, r.last_ts) == (1741564800000, 1741564814500)
    assert len([e for e in ev if isinstance(e, OrderBook)]) == 15  # one per second


def test_binance_book_ticker(tmp_path: Path) -> None:
    r = open_reader(
        write_book_ticker(tmp_path / "ARBUSDT-bookTicker-2024-03-11.csv", 1710115200000)
    )
    assert isinstance(r, BookTickerReader) and r.book_origin == "recorded"
    books = [e for e in _events(r) if isinstance(e, OrderBook)]
    assert len(books) == 12  # 30 quotes over 11.6 s: the last of each second
    assert (r.first_ts, r.last_ts) == (1710115200800, 1710115211600)
    assert books[0].mid == pytest.approx((2.002 + 2.004) / 2) and books[0].spread_bps is not None


def test_cryptofeed_legacy_v2_trades_and_books() -> None:
    r = open_reader(CF_V2)
    assert isinstance(r, CryptofeedReader)
    items = _events(r)
    trades = [i for i in items if isinstance(i, CexTrade)]
    first = trades[0]
    assert (first.symbol, first.side, first.price, first.size) == (
        "BTC/USD",
        Side.SELL,
        60621.5,
        4.0,
    )
    assert first.ts_event == 1618677786614


def test_cryptofeed_raw_real() -> None:
    r = open_reader(real("cryptofeed-bybit/BYBIT.ws.26.0"))
    ev = _events(r)
    assert r.counts == {"books": 1018, "trades": 150}  # type: ignore[union-attr]
    assert (r.first_ts, r.last_ts) == (1618677786614, 1618677816500)  # type: ignore[union-attr]
    assert next(e for e in ev if isinstance(e, CexTrade)).price == 60621.5


def test_cryptofeed_capture_format(tmp_path: Path) -> None:
    r = open_reader(write_capture(tmp_path / "BYBIT.jsonl.zst"))
    assert isinstance(r, CaptureReader)
    books = [e for e in _events(r) if isinstance(e, OrderBook)]
    assert len(books) == r.counts["books"] == 71  # every recv record's book, none else
    assert books[0].venue is VenueId.BYBIT and books[0].symbol == "BAND/USDT"
    assert books[0].mid == pytest.approx((0.6131 + 0.6134) / 2)
    assert (r.first_ts, r.last_ts) == (1749833474285, 1749833486505)


def test_recorder_files(tmp_path: Path) -> None:
    from dexcex.domain import ManualClock
    from dexcex.pipeline.recording import RecordWriter

    swap = DexSwap(
        "eth",
        Chain.ETHEREUM,
        "uniswap",
        "0x" + "1" * 40,
        "0xab",
        None,
        Side.BUY,
        1.0,
        2000.0,
        2000.0,
        2000.0,
        2000.0,
        1704412800000,
        1704412800100,
        "dexscreener",
    )
    asset = UniswapV3Reader(UNI, info=open_reader(UNI).info).asset()  # type: ignore[union-attr]
    w = RecordWriter(tmp_path, [asset], ManualClock(1704412800100))
    w.write(swap)
    w.close()
    r = open_reader(w.files[0])
    assert isinstance(r, RecordingReader)
    items = list(r.items())
    assert items[0] == asset and items[1] == swap
    assert r.dex_sources == {"eth": {"dexscreener"}}


def test_unknown_and_unreadable_files_are_explained(tmp_path: Path) -> None:
    (tmp_path / "notes.bin").write_text("hello\n")
    assert (
        open_reader(tmp_path / "notes.bin")
        == "notes.bin: not a format dexcex knows (first line: 'hello')"
    )
    (tmp_path / "query.sql").write_text("SELECT 1\n")
    assert "not market data" in str(open_reader(tmp_path / "query.sql"))
    d = tmp_path / "dir"
    d.mkdir()
    assert isinstance(open_reader(d), str)


def test_bad_rows_are_counted_not_fatal(tmp_path: Path) -> None:
    p = write_klines(
        tmp_path / "ETHUSDT-1m-2024-01-05.csv", [2000.0, 2001.0], 1704412800000, header=True
    )
    p.write_text(p.read_text() + "1704413000000,1,1,1,nan,1\n1704413060000,1,1,1,-5,1\n")
    r = open_reader(p)
    assert len(_events(r)) == 2
    assert r.counts["bars rejected"] == 2 and len(r.problems) == 2  # type: ignore[union-attr]


def test_sim_log_is_recognised(sim_log: Path) -> None:
    assert isinstance(open_reader(sim_log), SimLogReader)
