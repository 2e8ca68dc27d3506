"""Daily partitions for the high-rate tables on PostgreSQL, and retention on both databases.

On PostgreSQL ``signals`` (by ``created_ms``) and ``source_health`` (by ``ts_ms``) are
declaratively range-partitioned by UTC day (migration 0004): the One Glance queries read
the newest partitions only, and retention drops a whole day at once instead of deleting
millions of rows. A day's partition is created the first time a row of that day is
written (and the following day's with it, so midnight does not wait on DDL); there is no
default partition, so a row can never land anywhere unmanaged.

SQLite, the one-machine default, keeps one table each; retention deletes rows there.
Retention works in whole UTC days on both: "keep 14 days" keeps today and the 14 before.
"""

# ruff: noqa: S608 - table and partition names come from PARTITIONED and partition_name,
# never from outside input

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

__all__ = [
    "DAY_MS",
    "PARTITIONED",
    "Partitions",
    "PruneResult",
    "is_partition",
    "partition_name",
]

DAY_MS = 86_400_000
# table -> the column it is partitioned (and pruned) by
PARTITIONED: dict[str, str] = {"signals": "created_ms", "source_health": "ts_ms"}
_NAME = re.compile(r"^(?P<table>[a-z_]+)_p(?P<day>\d{8})$")

_log = structlog.get_logger(__name__)


def partition_name(table: str, day: int) -> str:
    """``signals_p20260101`` for the UTC day number ``day`` (days since the epoch)."""
    return f"{table}_p{datetime.fromtimestamp(day * 86_400, UTC):%Y%m%d}"


def is_partition(name: str) -> bool:
    """A day partition of one of our partitioned tables (not a table of its own)."""
    m = _NAME.match(name)
    return m is not None and m["table"] in PARTITIONED


def _day_of_name(name: str) -> int | None:
    m = _NAME.match(name)
    if m is None:
        return None
    d = datetime.strptime(m["day"], "%Y%m%d").replace(tzinfo=UTC)
    return int(d.timestamp()) // 86_400


@dataclass(frozen=True, slots=True)
class PruneResult:
    table: str
    cutoff_ms: int  # rows older than this are gone
    rows: int
    partitions: int  # dropped (PostgreSQL); 0 on SQLite


class Partitions:
    """Creates the day partitions rows need, once each, and prunes old days.

    Thread-safe: the engine writes from worker threads. The set of known partitions is
    read from the catalog at start, so a restarted process does not try to create them
    again, and a partition another process created is found on the first conflict.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.enabled = engine.dialect.name == "postgresql"
        self._known: dict[str, set[int]] = {t: set() for t in PARTITIONED}
        self._lock = threading.Lock()
        if self.enabled:
            self._load()

    def _load(self) -> None:
        with self._engine.connect() as conn:
            for table in PARTITIONED:
                names = conn.execute(
                    text(
                        "SELECT c.relname FROM pg_inherits i "
                        "JOIN pg_class c ON c.oid = i.inhrelid "
                        "WHERE i.inhparent = to_regclass(:t)"
                    ),
                    {"t": table},
                ).scalars()
                self._known[table] = {d for n in names if (d := _day_of_name(n)) is not None}

    def known_days(self, table: str) -> set[int]:
        with self._lock:
            return set(self._known[table])

    def ensure(self, table: str, times_ms: Iterable[int]) -> int:
        """Make sure every row time in ``times_ms`` has its day's partition (and the day
        after the newest); returns how many partitions were created."""
        if not self.enabled:
            return 0
        days = {t // DAY_MS for t in times_ms}
        if not days:
            return 0
        days.add(max(days) + 1)
        with self._lock:
            missing = sorted(days - self._known[table])
            if not missing:
                return 0
            created = 0
            for day in missing:
                created += self._create(table, day)
                self._known[table].add(day)
            return created

    def _create(self, table: str, day: int) -> int:
        name = partition_name(table, day)
        lo, hi = day * DAY_MS, (day + 1) * DAY_MS
        # Its own short transaction: the DDL lock on the parent is held for the CREATE
        # alone, never across the caller's insert.
        try:
            with self._engine.begin() as conn:
                exists = conn.execute(text("SELECT to_regclass(:n)"), {"n": name}).scalar()
                if exists is not None:
                    return 0
                conn.execute(
                    text(
                        f'CREATE TABLE "{name}" PARTITION OF "{table}" '
                        f"FOR VALUES FROM ({lo}) TO ({hi})"
                    )
                )
        except DBAPIError as exc:
            # another process created it between our look and our CREATE
            with self._engine.connect() as conn:
                if conn.execute(text("SELECT to_regclass(:n)"), {"n": name}).scalar() is None:
                    raise
            _log.info("partition created by another process", partition=name, error=str(exc))
            return 0
        _log.info("partition created", partition=name)
        return 1

    def prune(self, table: str, keep_days: int, now_ms: int) -> PruneResult:
        """Remove every row of ``table`` from before the last ``keep_days`` whole UTC days
        (today not counted). Drops whole partitions on PostgreSQL, deletes on SQLite."""
        column = PARTITIONED[table]
        cutoff_day = now_ms // DAY_MS - keep_days
        cutoff = cutoff_day * DAY_MS
        if not self.enabled:
            with self._engine.begin() as conn:
                res = conn.execute(
                    text(f'DELETE FROM "{table}" WHERE {column} < :c'), {"c": cutoff}
                )
            return PruneResult(table, cutoff, int(res.rowcount), 0)
        rows = dropped = 0
        with self._lock:
            for day in sorted(d for d in self._known[table] if d < cutoff_day):
                name = partition_name(table, day)
                with self._engine.begin() as conn:
                    if conn.execute(text("SELECT to_regclass(:n)"), {"n": name}).scalar():
                        rows += int(
                            conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
                        )
                        conn.execute(text(f'DROP TABLE "{name}"'))
                        dropped += 1
                self._known[table].discard(day)
        if dropped:
            _log.info("retention: partitions dropped", table=table, partitions=dropped, rows=rows)
        return PruneResult(table, cutoff, rows, dropped)
