"""A wall-clock run is reproduced by the replay of its own recording: `dexcex run
--record-dir` on the simulated market (the demo world at 10×, paper trading, no API key),
stopped cleanly with SIGINT, then `dexcex replay --store` of the folder into another
database — and `dexcex dataset export` of both gives the same labelled rows.

It holds because the engine's clock is the events' own, live too (``pipeline.engine``):
an arrival moves it to the event's ``ts_recv`` and a held event runs at its due time
``ts_event + window`` — the stamps the recorder writes — so signal ids, features,
cool-downs, paper fills and the outcomes' first mid are what the replay computes. Before,
a live signal was stamped when the loop got to its event (tens to hundreds of market ms
later at 10×) and the rows differed.

One column is dropped before comparing, and only one: ``lat_dex_to_signal_ms`` (filled
for executed signals), the triggering DEX event → the signal *as measured on the wall
clock* live (``Signal.ts_wall``). A replay has no wall to measure, so it reports the
events' time there; a run that reported the replay's number would be faking its latency.
"""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dexcex.cli.main import app
from tests.waiting import until_sync

SPEED = "10"
WALL_MS = ("lat_dex_to_signal_ms",)  # measured on the wall clock live: not replayable
LABELLED_1M = 6  # signals whose 1-minute outcome is known
RUN_LIMIT_S = 75.0  # the deadline for that (about 8 market minutes at 10× usually do)


def _count(db: Path, where: str) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            return int(con.execute(f"SELECT count(*) FROM signals WHERE {where}").fetchone()[0])
    except sqlite3.Error:  # not created (or migrated) yet
        return 0


def _export(runner: CliRunner, url: str, out: Path) -> list[dict[str, str]]:
    res = runner.invoke(
        app, ["dataset", "export", "--format", "csv", "--db", url, "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    with out.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _differences(a: list[dict[str, str]], b: list[dict[str, str]]) -> str:
    if len(a) != len(b):
        return f"{len(a)} rows against {len(b)}: {[r['id'] for r in a]} / {[r['id'] for r in b]}"
    out = []
    for x, y in zip(a, b, strict=True):
        cols = {k: (x[k][:50], y.get(k, "")[:50]) for k in x if x[k] != y.get(k)}
        if cols:
            out.append(f"{x['id']} / {y['id']}: {cols}")
    return "; ".join(out[:5]) or "none"


def _run_and_stop(tmp: Path, rec: Path, live_db: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DEXCEX_")},
        "DEXCEX_DATA_DIR": str(tmp / "data"),
        "DEXCEX_EXECUTION__AUTO_PAPER": "true",
        "DEXCEX_LOG__LEVEL": "WARNING",
    }
    log_path = tmp / "run.log"
    args = ["run", "--record-dir", str(rec), "--speed", SPEED, "--no-status", "--no-page"]
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dexcex.cli.main", *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:

            def enough() -> bool:
                assert proc.poll() is None, log_path.read_text()[-3000:]
                return (
                    _count(live_db, "label_1m IS NOT NULL") >= LABELLED_1M
                    and _count(live_db, "status = 'executed'") >= 1
                )

            until_sync(enough, RUN_LIMIT_S, f"{LABELLED_1M} labelled signals and a paper trade")
        finally:
            proc.send_signal(signal.SIGINT)  # a clean stop: the engine drains, then exits
            try:
                code = proc.wait(30)
            finally:
                if proc.poll() is None:
                    proc.kill()
    said = log_path.read_text()
    assert code == 0 and "stopped:" in said and "recorded to" in said, said[-3000:]


def test_a_live_run_and_the_replay_of_its_recording_export_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rec, live_db = tmp_path / "rec", tmp_path / "data" / "dexcex.sqlite3"
    _run_and_stop(tmp_path, rec, live_db)
    assert list(rec.glob("events-*.jsonl.zst"))

    monkeypatch.setenv("DEXCEX_EXECUTION__AUTO_PAPER", "true")  # the replay trades too
    monkeypatch.setenv("DEXCEX_LOG__LEVEL", "WARNING")
    runner = CliRunner()
    replay_url = f"sqlite:///{tmp_path / 'replay.sqlite3'}"
    res = runner.invoke(app, ["replay", str(rec), "--store", "--db", replay_url])
    assert res.exit_code == 0, res.output
    live = _export(runner, f"sqlite:///{live_db}", tmp_path / "live.csv")
    replayed = _export(runner, replay_url, tmp_path / "replay.csv")

    def replayable(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        return [{k: v for k, v in r.items() if k not in WALL_MS} for r in rows]

    print(
        f"live run at {SPEED}x: {len(live)} signals, {sum(r['label_1m'] != '' for r in live)} "
        f"labelled at 1m, {sum(r['status'] == 'executed' for r in live)} paper trades; "
        f"replay: {len(replayed)} signals; differences: {_differences(live, replayed)}"
    )
    assert replayable(replayed) == replayable(live), _differences(live, replayed)

    # what was compared is worth comparing: labelled signals, a paper trade, and the
    # dropped column really is a wall measurement of the live run, none of the replay's
    assert sum(r["label_1m"] != "" for r in live) >= LABELLED_1M
    executed = [r for r in live if r["status"] == "executed"]
    assert executed and all(r["fill_price"] and r["lat_dex_to_signal_ms"] for r in executed)
    assert _count(live_db, "wall_ms IS NULL") == 0
    assert _count(live_db, "wall_ms < created_ms") == 0  # built after the events' time
    assert _count(tmp_path / "replay.sqlite3", "wall_ms IS NOT NULL") == 0
