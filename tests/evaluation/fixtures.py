"""Tiny data files, written by the tests, for formats (or coins and days) that
shared/data/real does not hold. Values are made up here; layouts follow the formats'
public descriptions (see tests/resources/README.md)."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import zstandard

RES = Path(__file__).parents[1] / "resources"
REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
CF_V5 = RES / "bybit" / "ws" / "BYBIT.v5.linear.ws.1.0.head80"
OSQTH_POOL = "0x82c427adfdf2d245ec51d8046b41c4ee87f0d29c"  # an oSQTH/WETH pool


def real(rel: str) -> Path:
    p = REAL / rel
    assert p.exists(), f"shared real data missing: {p} (it sits beside the repository)"
    return p


def write_klines(
    path: Path, closes: list[float], t0: int, *, header: bool, micros: bool = False
) -> Path:
    """Binance Data Vision klines: futures files have a header, spot none (µs from 2025)."""
    lines = []
    if header:
        lines.append(
            "open_time,open,high,low,close,volume,close_time,quote_volume,count,"
            "taker_buy_volume,taker_buy_quote_volume,ignore"
        )
    k = 1000 if micros else 1
    for i, c in enumerate(closes):
        t = (t0 + i * 60_000) * k
        lines.append(f"{t},{c},{c},{c},{c},100.0,{t + 59_999 * k},1.0,10,50.0,1.0,0")
    path.write_text("\n".join(lines) + "\n")
    return path


def write_agg_trades(path: Path, t0: int, n: int = 30) -> Path:
    """Spot aggTrades, no header, µs timestamps: id, price, qty, first, last, time, maker, best."""
    rows = []
    for i in range(n):
        t = (t0 + i * 500) * 1000
        maker = "True" if i % 2 else "False"
        rows.append(f"{1000 + i},{1.5 + i * 0.001:.4f},{10 + i},{i},{i},{t},{maker},True")
    path.write_text("\n".join(rows) + "\n")
    return path


def write_book_ticker(path: Path, t0: int, n: int = 30) -> Path:
    rows = [
        "update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time"
    ]
    for i in range(n):
        t = t0 + i * 400
        rows.append(f"{500 + i},{2.000 + i * 0.001:.3f},5,{2.002 + i * 0.001:.3f},7,{t},{t + 3}")
    path.write_text("\n".join(rows) + "\n")
    return path


def write_feather(path: Path, closes: list[float], t0: int, bar_ms: int) -> Path:
    import pyarrow as pa
    from pyarrow import feather

    n = len(closes)
    table = pa.table(
        {
            "date": pa.array([t0 + i * bar_ms for i in range(n)], pa.timestamp("ms", tz="UTC")),
            "open": closes,
            "high": closes,
            "low": closes,
            "close": closes,
            "volume": [100.0] * n,
        }
    )
    feather.write_feather(table, str(path))
    return path


def write_capture(path: Path) -> Path:
    """cryptofeed's capture format 2 (``BYBIT.jsonl.zst``) holding the recorded v5 lines
    of the head80 fixture, re-containered: header, connect, send, recv records."""
    recs: list[dict[str, object]] = [
        {
            "t": "header",
            "format": 2,
            "exchange": "BYBIT",
            "config": {"l2_book": ["BAND-USDT-PERP"]},
            "candle_interval": None,
            "recorded": 1749833471.8,
        }
    ]
    for line in CF_V5.read_text().splitlines():
        if " <-> " in line:
            url, ts = line.split(" <-> ")
            recs.append({"t": "connect", "conn": "BYBIT.ws.1", "addr": url, "ts": float(ts)})
        elif " <- " in line:
            head, data = line.split(": ", 1)
            recs.append(
                {
                    "t": "send",
                    "conn": "BYBIT.ws.1",
                    "ts": float(head.split(" <- ")[1]),
                    "data": data,
                }
            )
        else:
            ts, data = line.split(": ", 1)
            recs.append({"t": "recv", "conn": "BYBIT.ws.1", "ts": float(ts), "data": data})
    body = "".join(json.dumps(r) + "\n" for r in recs).encode()
    path.write_bytes(zstandard.ZstdCompressor().compress(body))
    return path


def write_uniswap(path: Path, rows: int = 5, t0: str = "2023-03-01 00:00:0") -> Path:
    """demeter-fetch layout: token0 USDC (6), token1 WETH (18)."""
    head = (
        "block_number,block_timestamp,tx_type,transaction_hash,pool_tx_index,pool_log_index,"
        "proxy_log_index,sender,receipt,amount0,amount1,total_liquidity,total_liquidity_delta,"
        "sqrtPriceX96,current_tick,position_id,tick_lower,tick_upper,liquidity"
    )
    lines = [head]
    sqrt = int(math.sqrt(1e12 / 1600.0) * 2**96)  # 1,600 USDC per WETH
    for i in range(rows):
        a0 = -1_600_000_000 if i % 2 else 1_600_000_000
        a1 = 10**18 if i % 2 else -(10**18)
        lines.append(
            f"{1000 + i},{t0}{i},SWAP,0x{i:064x},0,{i},,0xabc,0xdef,{a0},{a1},"
            f"10000000000000000000,0,{sqrt},0,,,,"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def unseen_day(folder: Path, seed: int = 3) -> Path:
    """A coin and a day the project never saw: Dune trades of ARB and 1-minute freqtrade
    candles of ARB/USDT, 2024-03-11, a random walk with random DEX flow (no lead)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    t0 = 1_710_115_200_000  # 2024-03-11 00:00 UTC
    price, bars = 2.0, []
    for i in range(8 * 60):
        price *= math.exp(rng.gauss(0, 0.0015))
        bars.append([t0 + i * 60_000, price, price, price, price, 1000.0])
    (folder / "ARB_USDT-1m.json").write_text(json.dumps(bars))
    header = (
        "block_time,token_a_symbol,token_b_symbol,token_a_amount,token_b_amount,project,"
        "category,usd_amount,trader_a"
    )
    fills: list[tuple[int, str]] = []
    # background flow, and one-sided bursts of a random direction that lead nothing
    times: list[tuple[int, bool | None, int]] = [
        (rng.randrange(10 * 60_000, 8 * 3_600_000 - 60_000), None, rng.randrange(1 << 160))
        for _ in range(900)
    ]
    for _ in range(120):
        start, side = rng.randrange(10 * 60_000, 8 * 3_600_000 - 60_000), rng.random() < 0.5
        crew = [rng.randrange(1 << 160) for _ in range(3)]  # a few repeat wallets
        times += [(start + rng.randrange(0, 20_000), side, rng.choice(crew)) for _ in range(10)]
    for ms, side, who in times:
        p = bars[ms // 60_000][4]
        usd = 10_000 * rng.lognormvariate(0, 0.8)
        amt = usd / p
        buy = rng.random() < 0.5 if side is None else side
        a, b, aa, ba = ("ARB", "WETH", amt, usd / 3500) if buy else ("WETH", "ARB", usd / 3500, amt)
        wallet = f"\\x{who:040x}"
        fills.append((ms, f"{_iso(t0 + ms)},{a},{b},{aa},{ba},Uniswap,DEX,{usd},{wallet}"))
    body = [header] + [line for _, line in sorted(fills)]
    (folder / "dex_trades.csv").write_text("\n".join(body) + "\n")
    return folder


def _iso(ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
