"""The short form of ``make chaos``: ``dexcex run`` (paper, SQLite, on one simulator)
killed with SIGKILL at a random moment, just after a click is answered and mid-flush,
restarted on the same database each time, leaves no orphan, no duplicate, no lost row."""

from __future__ import annotations

import random
from pathlib import Path

from benchmarks.chaos import SPEED, series
from benchmarks.chaos_rig import ChaosReport, SimThread, check

# a baseline rule that fires sooner and more often: a signal to click within seconds
EAGER = {
    "DEXCEX_CORE__SIGNALS__BASELINE__K_SIGMA": "1.5",
    "DEXCEX_CORE__SIGNALS__BASELINE__COOLDOWN_S": "30",
}


def test_kill_9_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    rep = ChaosReport()
    data = tmp_path / "paper"
    url = f"sqlite:///{data / 'dexcex.sqlite3'}"
    with SimThread(SPEED, tmp_path) as sim:
        kills, clicked = series(sim, data, url, "paper", 1, random.Random(3), 6.0, **EAGER)
    rep.kills = kills
    n = check(url, rep, clicked=clicked, at_venue=None)
    assert kills >= 2 and clicked, (kills, clicked)  # the click was answered, then killed
    assert rep.signals > 0 and rep.orders >= 1, n
    assert (rep.orphans, rep.duplicates, rep.rows_lost) == (0, 0, 0), n
