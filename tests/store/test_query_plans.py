"""The One Glance queries must be served by the indexes, on both databases.

With many watched assets each one is a small share of the rows, which is when the
per-asset index matters; a scan that also sorts would mean a missing index.
"""

from __future__ import annotations

from sqlalchemy import Select, text

from dexcex.domain import SignalStatus
from dexcex.store import Database
from dexcex.store.signal_store import SignalStore
from tests.factories import T0, make_signal

ROWS = 20_000
ASSETS = [f"a{i:02d}" for i in range(40)]


def _plan(db: Database, stmt: Select[object]) -> str:
    sql = str(stmt.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
    with db.engine.connect() as conn:
        rows = conn.execute(text(prefix + sql)).all()
    return "\n".join(" ".join(str(c) for c in r) for r in rows)


def test_one_glance_queries_use_indexes_without_sorting(db_url: str) -> None:
    db = Database.open(db_url, migrate=True)
    try:
        db.signals.add_many(
            make_signal(
                i,
                asset=ASSETS[i % len(ASSETS)],
                status=SignalStatus.EXPIRED if i % 50 else SignalStatus.NEW,
            )
            for i in range(ROWS)
        )
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        plans = {
            "latest": _plan(db, SignalStore.latest_query(200)),
            "asset": _plan(db, SignalStore.latest_query(200, asset_id="a07")),
            "status": _plan(db, SignalStore.latest_query(200, status=SignalStatus.NEW)),
            "page2": _plan(
                db, SignalStore.latest_query(200, before=(T0 + (ROWS - 200) * 1000, "s"))
            ),
        }
        for name, plan in plans.items():
            print(f"\n[{db.engine.dialect.name}] {name}:\n{plan}")
        index = {
            "latest": "ix_signals_created_ms_id",
            "asset": "ix_signals_asset_id_created_ms_id",
            "status": "ix_signals_status_created_ms_id",
            "page2": "ix_signals_created_ms_id",
        }
        for name, plan in plans.items():
            if db.engine.dialect.name == "sqlite":
                assert index[name] in plan, name
            else:
                # signals is partitioned by day there: the newest partitions are read in
                # order (an ordered Append, no Sort) through their copies of the index,
                # named <partition>_<columns>_idx
                assert index[name].removeprefix("ix_signals") + "_idx" in plan, name
            if db.engine.dialect.name == "sqlite":
                assert "TEMP B-TREE" not in plan, name  # the index gives the order
                assert "SCAN signals\n" not in plan + "\n", name
            else:
                assert "Sort" not in plan and "Seq Scan" not in plan, name
    finally:
        db.close()
