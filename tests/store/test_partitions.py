"""Daily partitions (PostgreSQL) and retention (both databases).

On PostgreSQL a row lands in its day's partition, created on first write; every query of
the stores sees all days; retention drops whole days. On SQLite the same calls work on
plain tables and retention deletes rows.
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import text
from typer.testing import CliRunner

from dexcex.cli.main import app
from dexcex.domain import HealthState, SignalStatus, SourceHealth, SourceKind
from dexcex.store import Database
from dexcex.store.backup import row_counts
from dexcex.store.partitions import DAY_MS, is_partition, partition_name
from tests.factories import make_signal

DAY0 = 20_000  # 2024-10-04 as days since the epoch
HOUR = 3_600_000


def _at(day: int, hours: float = 0) -> int:
    return (DAY0 + day) * DAY_MS + int(hours * HOUR)


def _seed(db: Database, days: int, per_day: int = 10) -> None:
    n = 0
    for d in range(days):
        db.signals.add_many(make_signal(n + k, ts=_at(d, 1 + k)) for k in range(per_day))
        n += per_day
        db.health.add(
            SourceHealth("mexc", SourceKind.CEX_VENUE, HealthState.OK, True, _at(d, 2 + k))
            for k in range(3)
        )


def _partitions_in_catalog(db: Database, table: str) -> dict[str, int]:
    with db.engine.connect() as conn:
        names = conn.execute(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = to_regclass(:t)"
            ),
            {"t": table},
        ).scalars()
        return {
            n: int(conn.execute(text(f'SELECT count(*) FROM "{n}"')).scalar_one()) for n in names
        }


def test_rows_land_in_their_days_partition_and_every_query_sees_them(db_url: str) -> None:
    db = Database.open(db_url, migrate=True)
    try:
        _seed(db, days=3)
        assert db.signals.count() == 30
        newest = db.signals.latest(5)
        assert [r["created_ms"] for r in newest] == sorted(
            (r["created_ms"] for r in newest), reverse=True
        )
        assert newest[0]["created_ms"] == _at(2, 10)
        # an update by id finds a row in an older day
        old = make_signal(3, ts=_at(0, 4))
        db.signals.set_status(old.id, SignalStatus.EXPIRED, _at(2, 12), "test")
        got = db.signals.get(old.id)
        assert got is not None and got["status"] == "expired"
        assert len(db.health.latest_per_source()) == 1
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                kind = conn.execute(
                    text("SELECT relkind FROM pg_class WHERE oid = to_regclass('signals')")
                ).scalar_one()
            assert kind == "p"
            parts = _partitions_in_catalog(db, "signals")
            # three days with rows, and the next day made ahead of midnight
            assert parts == {
                partition_name("signals", DAY0): 10,
                partition_name("signals", DAY0 + 1): 10,
                partition_name("signals", DAY0 + 2): 10,
                partition_name("signals", DAY0 + 3): 0,
            }
            assert set(_partitions_in_catalog(db, "source_health")) == {
                partition_name("source_health", DAY0 + d) for d in range(4)
            }
            # a partition counts under its table, once
            counts = row_counts(db_url)
            assert counts["signals"] == 30 and not any(is_partition(n) for n in counts)
        else:
            assert not db.partitions.enabled
    finally:
        db.close()


def test_a_restarted_store_finds_its_partitions(db_url: str) -> None:
    db = Database.open(db_url, migrate=True)
    try:
        _seed(db, days=2)
    finally:
        db.close()
    db = Database.open(db_url)
    try:
        if db.partitions.enabled:
            assert db.partitions.known_days("signals") == {DAY0, DAY0 + 1, DAY0 + 2}
        assert db.partitions.ensure("signals", [_at(1, 5)]) == 0
        db.signals.add(make_signal(999, ts=_at(1, 20)))
        assert db.signals.count() == 21
    finally:
        db.close()


def test_retention_keeps_whole_recent_days_and_drops_the_rest(db_url: str) -> None:
    db = Database.open(db_url, migrate=True)
    try:
        _seed(db, days=5)
        # it is day 4, noon: keep the two whole days before today (days 2 and 3) and today
        done = {r.table: r for r in db.prune(_at(4, 12), signals_days=2, health_days=1)}
        assert done["signals"].rows == 20 and done["signals"].cutoff_ms == _at(2)
        assert done["source_health"].rows == 9 and done["source_health"].cutoff_ms == _at(3)
        assert db.signals.count() == 30
        assert min(r["created_ms"] for r in db.signals.iter_range()) == _at(2, 1)
        pg = db.engine.dialect.name == "postgresql"
        assert done["signals"].partitions == (2 if pg else 0)
        if pg:
            assert set(_partitions_in_catalog(db, "signals")) == {
                partition_name("signals", DAY0 + d) for d in (2, 3, 4, 5)
            }
        # nothing more to do the second time, and None keeps everything
        again = db.prune(_at(4, 13), signals_days=2, health_days=None)
        assert [(r.table, r.rows) for r in again] == [("signals", 0)]
        # a day dropped by retention is made again if a row for it comes (a replay, say)
        db.signals.add(make_signal(777, ts=_at(0, 3)))
        assert db.signals.count() == 31
    finally:
        db.close()


def test_db_prune_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.sqlite3'}"
    db = Database.open(url, migrate=True)
    try:
        db.signals.add(make_signal(1, ts=_at(0)))  # 2024: older than 30 days
        db.signals.add(make_signal(2, ts=int(time.time() * 1000)))  # today
    finally:
        db.close()
    res = CliRunner().invoke(app, ["db", "prune", "--url", url, "--signals-days", "30"])
    assert res.exit_code == 0, res.output
    assert "signals: 1 rows removed" in res.output
    assert "source_health: 0 rows removed" in res.output  # the default 14 days applies
    res = CliRunner().invoke(app, ["db", "prune", "--url", url, "--signals-days", "0"])
    assert res.exit_code == 2 and "--signals-days" in res.output
