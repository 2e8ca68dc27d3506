"""The short form of ``make chaos``: two paper runs killed with SIGKILL (one at random,
one just after its first order row) leave no orphan, no duplicate, no lost row."""

from __future__ import annotations

from pathlib import Path

from benchmarks.chaos import kill_runs


def test_kill_9_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    rep = kill_runs(2, seed=3, hours=0.3, max_s=25.0, workdir=tmp_path)
    assert rep.kills >= 1 and rep.signals > 0
    assert (rep.orphans, rep.duplicates, rep.rows_lost) == (0, 0, 0), rep
