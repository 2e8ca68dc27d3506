"""PostgreSQL: signals and source_health partitioned by UTC day (declarative RANGE
partitioning on created_ms / ts_ms). SQLite is left as it is.

A partitioned table's primary key must contain its partition key, so there it becomes
(id, created_ms) and (id, ts_ms); ids stay unique on their own (a signal id embeds its
creation time, a health sample id comes from a sequence). The rows are copied into the
new table, one partition per day that has rows; the views over these tables are dropped
and recreated from their own stored definitions. Downgrade copies them back into plain
tables.

Revision ID: 0004
Revises: 0003
"""

# ruff: noqa: S608 - DDL assembled from catalog names and constants, no outside input

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

DAY_MS = 86_400_000
TABLES = {"signals": "created_ms", "source_health": "ts_ms"}


def _partition_name(table: str, day: int) -> str:
    # Frozen copy of dexcex.store.partitions.partition_name: the runtime finds the
    # partitions this migration creates by this name.
    from datetime import UTC, datetime

    return f"{table}_p{datetime.fromtimestamp(day * 86_400, UTC):%Y%m%d}"


def _views() -> list[tuple[str, str]]:
    """(name, definition) of every view in the current schema."""
    rows = op.get_bind().execute(
        text(
            "SELECT viewname, definition FROM pg_views WHERE schemaname = current_schema() "
            "ORDER BY viewname"
        )
    )
    return [(r[0], r[1]) for r in rows]


def _indexes(table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the table's indexes, its primary key's excepted."""
    rows = op.get_bind().execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = :t AND indexname <> :pk ORDER BY indexname"
        ),
        {"t": table, "pk": f"pk_{table}"},
    )
    return [(r[0], r[1]) for r in rows]


def _rebuild(table: str, *, partitioned: bool) -> None:
    """Move ``table`` into a new table of the same columns, partitioned or plain."""
    column = TABLES[table]
    bind = op.get_bind()
    indexes = _indexes(table)
    old = f"{table}_old"
    for name, _ in indexes:
        op.execute(f'DROP INDEX "{name}"')
    op.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "pk_{table}"')
    op.execute(f'ALTER TABLE "{table}" RENAME TO "{old}"')
    seq = bind.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": old}).scalar()
    tail = f" PARTITION BY RANGE ({column})" if partitioned else ""
    op.execute(f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS){tail}')
    key = f"id, {column}" if partitioned else "id"
    op.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "pk_{table}" PRIMARY KEY ({key})')
    for _, ddl in indexes:
        op.execute(ddl)  # its ON clause names the table, which is now the new one
    if partitioned:
        days = bind.execute(text(f'SELECT DISTINCT {column} / {DAY_MS} FROM "{old}"')).scalars()
        for day in sorted(int(d) for d in days):
            lo, hi = day * DAY_MS, (day + 1) * DAY_MS
            op.execute(
                f'CREATE TABLE "{_partition_name(table, day)}" PARTITION OF "{table}" '
                f"FOR VALUES FROM ({lo}) TO ({hi})"
            )
    op.execute(f'INSERT INTO "{table}" SELECT * FROM "{old}"')
    if seq is not None:  # the sequence belongs to the column, and would go with the old table
        op.execute(f'ALTER SEQUENCE {seq} OWNED BY "{table}".id')
    op.execute(f'DROP TABLE "{old}"')


def _migrate(*, partitioned: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    views = _views()
    for name, _ in reversed(views):
        op.execute(f'DROP VIEW "{name}"')
    for table in TABLES:
        _rebuild(table, partitioned=partitioned)
    for name, definition in views:
        op.execute(f'CREATE VIEW "{name}" AS {definition}')


def upgrade() -> None:
    _migrate(partitioned=True)


def downgrade() -> None:
    _migrate(partitioned=False)
