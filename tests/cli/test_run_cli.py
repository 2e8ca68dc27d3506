"""``dexcex run``, ``record``, ``replay`` and ``convert`` as a user runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import zstandard
from typer.testing import CliRunner

from dexcex.cli.main import app
from dexcex.pipeline.recording import RecordReader
from dexcex.store import Database
from tests.evaluation.test_readers import UNI
from tests.waiting import until_sync


def test_run_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
        "DEXCEX_PIPELINE__HEALTH_EVERY_S": "1",
        "DEXCEX_LOG__LEVEL": "WARNING",
        "DEXCEX_PIPELINE__RECORD_RAW": "true",
        "DEXCEX_API__PORT": "0",  # the page on any free port
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "dexcex.cli.main", "run", "--no-status", "--speed", "4", "--record"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    data = tmp_path / "xdg" / "dexcex"
    wanted = {"mexc", "bybit", "birdeye", "dexscreener", "mexc:book:WIF/USDT"}

    def running_a_while() -> bool:
        assert proc.poll() is None, proc.communicate()
        files = sorted((data / "recordings").glob("events-*.jsonl.zst"))
        if not files or not (data / "dexcex.sqlite3").exists():
            return False
        r = RecordReader(files)
        for _ in r.items():
            pass
        if r.events < 1500:
            return False
        try:
            db = Database.open(f"sqlite:///{data / 'dexcex.sqlite3'}")
        except Exception:  # still being created by the engine
            return False
        try:
            return wanted <= {h.source for h in db.health.latest_per_source()}
        finally:
            db.close()

    # every source streamed, health sampled, recordings flushed: then the stop
    until_sync(running_a_while, 120, "the engine streams, records and samples health")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err[-2000:]
    assert "stopped:" in err and "events" in err, err[-2000:]
    assert "One Glance: http://127.0.0.1:" in err and "#token=" in err
    files = sorted((data / "recordings").glob("events-*.jsonl.zst"))
    r = RecordReader(files)
    items = list(r.items())
    assert r.events > 1000 and r.truncated_tail == 0 and r.rejected == 0, r.problems
    assert len(items) > r.events  # the assets' header too
    raw = sorted((data / "recordings").glob("raw-*.jsonl.zst"))
    text = b"".join(
        zstandard.ZstdDecompressor().stream_reader(p.read_bytes(), read_across_frames=True).read()
        for p in raw
    )
    for source in (b'"mexc:ws"', b'"bybit:ws"', b'"birdeye:ws:solana"', b'"dexscreener:'):
        assert source in text, source
    db = Database.open(f"sqlite:///{data / 'dexcex.sqlite3'}")
    try:
        sources = {h.source for h in db.health.latest_per_source()}
    finally:
        db.close()
    assert wanted <= sources


def test_record_then_replay(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["record", "--seconds", "4", "--speed", "4"])
    assert res.exit_code == 0, res.output
    rec = Path(os.environ["XDG_DATA_HOME"]) / "dexcex" / "recordings"
    assert list(rec.glob("events-*.jsonl.zst"))
    res = runner.invoke(app, ["replay", str(rec)])
    assert res.exit_code == 0, res.output
    assert " events (" in res.output and "events/s" in res.output


def test_convert_real_excerpt_then_replay(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["convert", str(UNI), "--out", str(tmp_path / "conv")])
    assert res.exit_code == 0, res.output
    assert "wrote" in res.output
    res = runner.invoke(app, ["replay", str(tmp_path / "conv"), "--speed", "max"])
    assert res.exit_code == 0, res.output


def test_run_refuses_an_unknown_market() -> None:
    res = CliRunner().invoke(app, ["run", "--market", "moon", "--seconds", "1"])
    assert res.exit_code == 2
    assert "sim" in res.output and "real" in res.output


def test_demo_runs_the_engine_on_the_simulator_in_paper_mode() -> None:
    res = CliRunner().invoke(app, ["demo", "--seconds", "5", "--port", "0"])
    assert res.exit_code == 0, res.output
    assert "sim market" in res.output and "mexc:book:WIF/USDT" in res.output
