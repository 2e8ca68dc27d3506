"""Paper budget: ``dexcex paper --scenario default --virtual-hours 24`` — simulator,
pipeline, core, paper execution and labeling in virtual time — must leave at least
1,000 labeled signals in under 15 minutes, and the exported dataset must explain every
null cell. ``BENCH_PAPER_HOURS`` shortens the run (the targets then do not apply).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from benchmarks.targets import check
from dexcex.config import load_settings
from dexcex.dataset.export import export_rows
from dexcex.dataset.stats import dataset_stats
from dexcex.execution.report import performance
from dexcex.roots.paper import run_paper
from dexcex.sim.scenario import load_scenario
from dexcex.store import Database

MIN_LABELED = 1_000
MAX_SECONDS = 15 * 60


def run() -> None:
    hours = float(os.environ.get("BENCH_PAPER_HOURS", "24"))
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.open(f"sqlite:///{Path(tmp) / 'paper.sqlite3'}", migrate=True)
        try:
            started = time.perf_counter()
            res = run_paper(load_settings(), load_scenario("default"), hours, db)
            took = time.perf_counter() - started
            rows = list(db.signals.iter_range())
            labeled = sum(1 for r in rows if r["label_60m"] is not None)
            export = export_rows(rows, Path(tmp) / "d.parquet", "parquet")
            stats = dataset_stats(rows)
            perf = performance(db)
        finally:
            db.close()
    print(
        f"paper {hours:g} h (+1 h settling): {res.hours:.1f} market hours in {took:.0f} s "
        f"({res.hours * 3600 / took:,.0f}× real time), {res.events:,} events "
        f"({res.events / took:,.0f}/s)",
        flush=True,
    )
    print(
        f"signals {res.signals:,} (DEX {res.dex_signals:,}, baseline {res.baseline_signals:,}),"
        f" orders {res.orders:,}, labeled at every horizon {labeled:,}; "
        f"exported {export.rows:,} rows × {export.columns} columns, "
        f"null cells without a reason: {stats.unexplained_nulls}",
        flush=True,
    )
    for origin, p in sorted(perf.items()):
        hit = "n/a" if p.hit_rate is None else f"{p.hit_rate:.0%}"
        print(
            f"  {origin}: {len(p.trades)} round trips, hit {hit}, total {float(p.total):+.2f}",
            flush=True,
        )
    if hours >= 24:
        ok = labeled >= MIN_LABELED and took < MAX_SECONDS and stats.unexplained_nulls == 0
        print(
            f"targets: ≥ {MIN_LABELED:,} labeled (ratio {labeled / MIN_LABELED:.2f}), "
            f"< {MAX_SECONDS} s (ratio {took / MAX_SECONDS:.2f}), every null explained — "
            + check("paper 24 h", ok),
            flush=True,
        )
