from __future__ import annotations

import asyncio
import time
from pathlib import Path

import msgspec
import pytest

from dexcex.config import Settings
from dexcex.roots.replay import replay_files
from dexcex.store import Database


async def test_replay_is_deterministic_and_finds_signals(recording: Path) -> None:
    a = await replay_files([recording], Settings(), keep_outputs=True)
    b = await replay_files([recording], Settings(), keep_outputs=True)
    assert a.events > 10_000 and a.signals > 0
    assert (a.rejected, a.truncated) == (0, 0)
    enc = msgspec.json.encode
    assert [enc(o) for o in a.outputs] == [enc(o) for o in b.outputs]
    # recorded time order is kept through the reorder window
    assert all(x.signal.ts <= y.signal.ts for x, y in zip(a.outputs, a.outputs[1:], strict=False))


def _first_seconds(recording: Path, seconds: int) -> tuple[Path, int]:
    """A copy of the first ``seconds`` recorded seconds; returns (folder, events)."""
    from dexcex.domain import ManualClock
    from dexcex.pipeline.recording import RecordReader, RecordWriter

    reader = RecordReader(sorted(recording.glob("events-*.jsonl.zst")))
    items = [i for i in reader.items() if hasattr(i, "ts_recv")]
    t0 = items[0].ts_recv  # type: ignore[union-attr]
    short = [i for i in items if i.ts_recv < t0 + seconds * 1000]  # type: ignore[union-attr]
    clock = ManualClock(t0)
    out = recording.parent / f"first{seconds}"
    w = RecordWriter(out, list(reader.assets.values()), clock)
    for e in short:
        clock.set(e.ts_recv)  # type: ignore[union-attr]
        w.write(e)  # type: ignore[arg-type]
    w.close()
    return out, len(short)


async def test_replay_at_ten_times_real_time_is_paced(recording: Path) -> None:
    out, n = await asyncio.to_thread(_first_seconds, recording, 20)
    started = time.perf_counter()
    res = await replay_files([out], Settings(), speed=10.0)
    took = time.perf_counter() - started
    assert res.events == n
    assert 1.6 <= took <= 4.0, took  # 20 s of market at 10x ≈ 2 s


async def test_replayed_signals_are_stored(recording: Path, tmp_path: Path) -> None:
    db = Database.open(f"sqlite:///{tmp_path / 'r.sqlite3'}", migrate=True)
    try:
        res = await replay_files([recording], Settings(), db=db)
        assert res.stored == res.signals > 0
        assert db.signals.count() == res.signals
    finally:
        db.close()


def test_speed_must_be_positive() -> None:
    from typer import BadParameter

    from dexcex.cli.replay_cmd import _speed

    assert _speed("max") is None and _speed("10") == 10.0
    with pytest.raises(BadParameter):
        _speed("0")
    with pytest.raises(BadParameter):
        _speed("fast")
