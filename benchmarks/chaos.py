"""``make chaos``: kill -9 a paper run at random moments, fill its disk mid-run, and count
what the database holds afterwards.

Each kill starts ``dexcex paper`` on a fresh SQLite file and sends SIGKILL after a random
delay (and, targeted, as soon as the first order row appears). Then the file is checked:

* orders — rows in ``orders``;
* orphans — orders whose signal is not stored;
* duplicates — signals with more than one entry order;
* rows lost — fills whose order is not stored, plus signals whose recorded entry order
  (``order_client_id``) is not stored.

The last three must be 0.

Not covered here (yet): live mode, PostgreSQL, a full disk and the venue stall at
start-up — those are covered by tests (``tests/pipeline/test_engine_faults.py``,
``tests/execution/test_journal.py``, ``tests/pipeline/test_shared_cancel.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["ChaosReport", "check", "kill_runs", "main"]


@dataclass
class ChaosReport:
    kills: int = 0
    orders: int = 0
    signals: int = 0
    orphans: int = 0
    duplicates: int = 0
    rows_lost: int = 0


def check(path: Path, rep: ChaosReport) -> None:
    """Add what one database holds to ``rep``."""
    con = sqlite3.connect(path)
    try:
        q = con.execute
        if not q("SELECT name FROM sqlite_master WHERE name = 'orders'").fetchone():
            return  # killed before the schema existed
        rep.orders += q("SELECT count(*) FROM orders").fetchone()[0]
        rep.signals += q("SELECT count(*) FROM signals").fetchone()[0]
        rep.orphans += q(
            "SELECT count(*) FROM orders o WHERE o.signal_id IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM signals s WHERE s.id = o.signal_id)"
        ).fetchone()[0]
        rep.duplicates += q(
            "SELECT count(*) FROM (SELECT signal_id FROM orders WHERE leg = 'entry' "
            "GROUP BY signal_id HAVING count(*) > 1)"
        ).fetchone()[0]
        rep.rows_lost += q(
            "SELECT count(*) FROM fills f WHERE NOT EXISTS "
            "(SELECT 1 FROM orders o WHERE o.client_order_id = f.client_order_id)"
        ).fetchone()[0]
        rep.rows_lost += q(
            "SELECT count(*) FROM signals s WHERE s.order_client_id IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM orders o WHERE o.client_order_id = s.order_client_id)"
        ).fetchone()[0]
    finally:
        con.close()


def _orders_in(path: Path) -> int:
    try:
        con = sqlite3.connect(path, timeout=0.1)
        try:
            return int(con.execute("SELECT count(*) FROM orders").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def kill_runs(n: int, seed: int, hours: float, max_s: float, workdir: Path) -> ChaosReport:
    """``n`` paper runs, each killed: at random, or (every other one) just after its first
    order row appears."""
    rng = random.Random(seed)
    rep = ChaosReport()
    for i in range(n):
        db = workdir / f"chaos-{i}.sqlite3"
        cmd = [sys.executable, "-m", "dexcex.cli.main", "paper", "--virtual-hours", str(hours)]
        cmd += ["--seed", str(seed + i), "--db", f"sqlite:///{db}"]
        proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy()
        )
        targeted = i % 2 == 1
        deadline = time.monotonic() + (max_s if targeted else rng.uniform(2.0, max_s))
        while time.monotonic() < deadline and proc.poll() is None:
            if targeted and _orders_in(db) > 0:
                break  # just after an order was stored
            time.sleep(0.05)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            rep.kills += 1
        proc.wait()
        check(db, rep)
    return rep


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--hours", type=float, default=0.5)
    ap.add_argument("--max-s", type=float, default=40.0, help="latest random kill, seconds")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dexcex-chaos-") as tmp:
        rep = kill_runs(args.kills, args.seed, args.hours, args.max_s, Path(tmp))
    print(json.dumps(asdict(rep)))
    bad = rep.orphans or rep.duplicates or rep.rows_lost
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
