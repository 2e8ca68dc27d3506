from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dexcex.domain import (
    CexTrade,
    Chain,
    DexFlowDelta,
    DexPrice,
    DexSwap,
    ManualClock,
    MarketEvent,
    PoolLiquidity,
    Side,
    VenueId,
)
from dexcex.pipeline.recording import RecordReader, RecordWriter, hour_file
from tests.factories import T0, make_asset, make_book
from tests.waiting import until_sync

ASSET = make_asset()
POOL = ASSET.dex[0].pools[0].address
TOKEN = ASSET.dex[0].token_address
HOUR = 3_600_000


def events(start: int, n: int, step_ms: int = 100) -> list[MarketEvent]:
    out: list[MarketEvent] = []
    for i in range(n):
        t = start + i * step_ms
        k = i % 6
        if k == 0:
            out.append(make_book(2.0 + i * 1e-4, ts=t))
        elif k == 1:
            out.append(
                DexSwap(
                    "wif",
                    Chain.SOLANA,
                    "raydium",
                    POOL,
                    f"tx{i}",
                    f"w{i % 7}",
                    Side.BUY,
                    10.0,
                    20.0,
                    20.0,
                    2.0,
                    2.0,
                    t,
                    t + 30,
                )
            )
        elif k == 2:
            out.append(DexPrice("wif", Chain.SOLANA, TOKEN, 2.0, t, t))
        elif k == 3:
            out.append(PoolLiquidity("wif", Chain.SOLANA, "raydium", POOL, 1e6, 5e5, 2.5e5, t, t))
        elif k == 4:
            out.append(
                DexFlowDelta(
                    "wif",
                    Chain.SOLANA,
                    "raydium",
                    POOL,
                    10_000,
                    3,
                    -1,
                    500.0,
                    100,
                    80,
                    1e5,
                    2.0,
                    t,
                    t,
                )
            )
        else:
            out.append(CexTrade(VenueId.MEXC, "WIF/USDT", f"t{i}", Side.SELL, 2.0, 5.0, t, t))
    return out


def record(directory: Path, evs: list[MarketEvent], flush_ms: int = 1000) -> RecordWriter:
    clock = ManualClock(evs[0].ts_recv)
    w = RecordWriter(directory, [ASSET], clock, flush_ms=flush_ms)
    for e in evs:
        clock.set(e.ts_recv)
        w.write(e)
    w.close()
    return w


def read(paths: list[Path]) -> tuple[RecordReader, list[object]]:
    r = RecordReader(paths)
    return r, list(r.items())


def test_every_event_kind_round_trips(tmp_path: Path) -> None:
    evs = events(T0, 600)
    w = record(tmp_path, evs)
    r, items = read(w.files)
    assert items[0] == ASSET
    assert items[1:] == evs
    assert (r.events, r.rejected, r.truncated_tail) == (600, 0, 0)


def test_hourly_files_each_with_a_header(tmp_path: Path) -> None:
    start = (T0 // HOUR + 1) * HOUR - 30_000  # 30 s before an hour boundary
    evs = events(start, 600)  # 60 s
    w = record(tmp_path, evs)
    assert [p.name for p in w.files] == [
        hour_file(tmp_path, start).name,
        hour_file(tmp_path, start + 60_000).name,
    ]
    r, items = read(w.files)
    assert [i for i in items if not isinstance(i, type(ASSET))] == evs
    assert r.assets == {"wif": ASSET}


def test_a_restarted_recorder_appends_to_the_hours_file(tmp_path: Path) -> None:
    a, b = events(T0, 50), events(T0 + 10_000, 50)
    record(tmp_path, a)
    w = record(tmp_path, b)
    assert len(w.files) == 1
    _, items = read(w.files)
    assert [i for i in items if not isinstance(i, type(ASSET))] == a + b


def test_bad_lines_are_counted_and_skipped(tmp_path: Path) -> None:
    import zstandard

    w = record(tmp_path, events(T0, 20))
    with open(w.files[0], "ab") as fh:
        fh.write(zstandard.ZstdCompressor().compress(b'{"type":"dex_swap","nope":1}\nnot json\n'))
        fh.write(
            zstandard.ZstdCompressor().compress(
                b'{"type":"dex_price","asset_id":"wif",'
                b'"chain":"solana","token":"x",'
                b'"price_usd":-1,"ts_event":1,"ts_recv":1}\n'
            )
        )
    r, _ = read(w.files)
    assert r.events == 20 and r.rejected == 3 and len(r.problems) == 3


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.floats(0.0, 1.0))
def test_a_file_cut_anywhere_reads_up_to_the_cut(tmp_path: Path, where: float) -> None:
    """What a crash leaves: any prefix of the file is readable, in order, without error."""
    d = tmp_path / f"cut{where}"
    evs = events(T0, 300)
    w = record(d, evs, flush_ms=500)  # a frame every 5 events' worth of time
    path = w.files[0]
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * where)])
    r, items = read([path])
    got = [i for i in items if not isinstance(i, type(ASSET))]
    assert got == evs[: len(got)]
    assert r.rejected == 0
    assert r.truncated_tail <= 1


def test_a_killed_recorder_leaves_a_readable_file(tmp_path: Path) -> None:
    script = f"""
import sys, time
sys.path.insert(0, {str(Path(__file__).parents[2])!r})
from pathlib import Path
from dexcex.clock import SystemClock
from dexcex.pipeline.recording import RecordWriter
from tests.pipeline.test_recording import events, ASSET
w = RecordWriter(Path({str(tmp_path)!r}), [ASSET], SystemClock(), flush_ms=50)
print("ready", flush=True)
i = 0
while True:
    for e in events(1_700_000_000_000 + i * 1000, 10):
        w.write(e)
    i += 1
    time.sleep(0.001)
"""
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
    # killed once a few flushes are on disk, in the middle of writing more
    until_sync(
        lambda: sum(p.stat().st_size for p in tmp_path.glob("events-*.jsonl.zst")) > 8_000,
        what="flushed recordings",
    )
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    files = sorted(tmp_path.glob("events-*.jsonl.zst"))
    assert files
    r, _ = read(files)
    assert r.events > 100 and r.rejected == 0 and r.truncated_tail <= 1
