"""The research loop on the simulator, through the one engine: a run records what it
receives; ``dexcex replay --store`` of the recording — as fast as it goes, and paced —
gives its signals, risk decisions, paper trades and outcomes again; ``dexcex dataset
export`` of each database is the same file, outcomes included; ``dexcex evaluate`` reads
the recording and judges the same DEX signals.

The run that records is ``dexcex paper --record``: the engine on the simulated market in
virtual time, trading every approved signal (the replays trade too: execution.auto_paper).
Its event source hands the engine one market second at a time, a replay 2,048 recorded
events (or, paced, what is due) at a time: that the rows agree byte for byte shows each
event is processed at its own time, whatever the batch — and that the recorder loses
nothing the core, the risk check, the paper broker or the labeller use.

A wall-clock ``dexcex run --record-dir`` and the replay of its recording agree too, row
for row but for the latency the live run measured: ``tests/e2e/test_live_record_replay.py``.
This test covers the virtual-time side: paced and unpaced replays, trades of both kinds of
signal, and ``evaluate`` on the same files.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dexcex.cli.main import app
from dexcex.domain import ConfigError

_HOURS = "0.2"  # twelve market minutes: 5-minute outcomes for the first seven
_SEED = "7"


def _ok(runner: CliRunner, args: list[str]) -> str:
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return " ".join(res.output.split())  # as one line, whatever the terminal's width


def _export(runner: CliRunner, db: str, out: Path) -> list[dict[str, str]]:
    _ok(runner, ["dataset", "export", "--format", "csv", "--db", db, "--out", str(out)])
    with out.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _first_difference(a: list[dict[str, str]], b: list[dict[str, str]]) -> str:
    if len(a) != len(b):
        return f"{len(a)} rows against {len(b)}"
    for x, y in zip(a, b, strict=True):
        if x != y:
            cols = {k: (x[k][:60], str(y.get(k))[:60]) for k in x if x[k] != y.get(k)}
            return f"signal {x['id']} / {y['id']}: {cols}"
    return "none"


def test_paper_record_then_replay_and_export_equal_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEXCEX_EXECUTION__AUTO_PAPER", "true")
    monkeypatch.setenv("DEXCEX_LOG__LEVEL", "WARNING")
    runner = CliRunner()
    rec = tmp_path / "rec"
    live_db = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    args = ["paper", "--virtual-hours", _HOURS, "--seed", _SEED, "--no-settle"]
    _ok(runner, [*args, "--record", str(rec), "--db", live_db])
    assert list(rec.glob("events-*.jsonl.zst"))
    again = runner.invoke(app, [*args, "--record", str(rec), "--db", f"{live_db}.2"])
    assert isinstance(again.exception, ConfigError), again.output  # one line from `dexcex`
    assert "already holds recorder files" in str(again.exception)
    live = _export(runner, live_db, tmp_path / "live.csv")

    for speed in ("max", "600"):
        db = f"sqlite:///{tmp_path / f'replay-{speed}.sqlite3'}"
        said = _ok(runner, ["replay", str(rec), "--speed", speed, "--store", "--db", db])
        assert f"{len(live)} signals, {len(live)} stored, {len(live)} labelled" in said, said
        replayed = _export(runner, db, tmp_path / f"replay-{speed}.csv")
        assert replayed == live, f"--speed {speed}: {_first_difference(live, replayed)}"
        assert (tmp_path / f"replay-{speed}.csv").read_bytes() == (
            tmp_path / "live.csv"
        ).read_bytes()

    # evaluate reads the recorder's files and judges the same DEX signals
    said = _ok(runner, ["evaluate", str(rec), "--out", str(tmp_path / "eval")])
    assert "could not read" not in said and "read events-" in said, said
    assert "EDGE DETECTED: DEX: risk-approved at 5m" in said, said  # the verdict line
    dex = sum(r["origin"] == "dex" for r in live)
    assert f"signals: {dex} candidates" in said, said

    # what was compared is a loop worth comparing: signals of both kinds, trades, outcomes
    assert len(live) >= 10
    assert {r["origin"] for r in live} == {"dex", "cex_baseline"}
    assert any(r["status"] == "executed" and r["fill_price"] for r in live)
    labelled = [r for r in live if r["label_5m"] != ""]
    assert labelled and all(r["ret_5m_bps"] and r["net_5m_bps"] for r in labelled)
    # the run ended before the longer horizons: every empty outcome says why
    assert all(r["label_60m"] == "" and r["outcome_note"] for r in live)
