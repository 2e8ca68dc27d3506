"""Replay budget: recorder file → pipeline (decode, reorder window, engine) → core →
signals, events/s on one core — without a database (target ≥ 250,000), and with every
signal and its risk decision persisted (SQLite, the embedded default; target ≥ 150,000).
Each is also printed as a ratio to the floor (``bench_core.floor_rate``: a bare loop
keeping a 30 s imbalance over the same events), timed in the same process right before
and after, since absolute figures on a shared machine drift by a third.

Input: the shared 1,000,000-trade reference stream as ``bench_core`` builds it (a swap
per row, a book per instrument per second), written once to the recorder's format.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from benchmarks.bench_core import build_events, floor_rate, relaxed
from benchmarks.targets import check
from dexcex.config import Settings
from dexcex.config.core_settings import CoreSettings
from dexcex.domain import ManualClock
from dexcex.pipeline.recording import RecordWriter
from dexcex.roots.replay import replay_files
from dexcex.store import Database

TARGET = 250_000
TARGET_STORED = 150_000


def run() -> None:
    assets, events = build_events()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        started = time.perf_counter()
        clock = ManualClock(events[0].ts_recv)
        w = RecordWriter(d / "rec", assets, clock, flush_ms=1000)
        for ev in events:
            clock.set(ev.ts_recv)
            w.write(ev)
        w.close()
        size = sum(p.stat().st_size for p in w.files)
        print(
            f"wrote {len(events):,} events to {len(w.files)} files, {size / 1e6:.1f} MB, "
            f"in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        floors = [floor_rate(events)]
        for name, core, store in (
            ("default settings, no database", CoreSettings(), False),
            ("intensity ≥ 0.5, no database", relaxed(), False),
            ("intensity ≥ 0.5, signals persisted to SQLite", relaxed(), True),
        ):
            settings = Settings(core=core)
            db = Database.open(f"sqlite:///{d / 'b.sqlite3'}", migrate=True) if store else None
            try:
                res = asyncio.run(replay_files([d / "rec"], settings, db=db))
            finally:
                if db is not None:
                    db.close()
            floors.append(floor_rate(events))
            floor = max(floors[-2:])
            target = TARGET_STORED if store else TARGET
            print(
                f"replay, {name}: {res.events:,} events, {res.signals:,} signals"
                + (f" ({res.stored:,} stored)" if store else "")
                + f", {res.seconds:.1f} s: {res.rate:,.0f} events/s "
                f"(target {target:,}; {check(f'replay, {name}', res.rate >= target)}); "
                f"floor {floor:,.0f} events/s, ratio to the floor {res.rate / floor:.2f}",
                flush=True,
            )
