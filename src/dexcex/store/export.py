"""``dexcex export``: one table's rows in a time range, as Parquet or CSV, streamed in
keyset pages so a large table never sits in memory whole."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Table, select

from dexcex.store.database import Database
from dexcex.store.models import AlertRow, FillRow, OrderRow, SignalRow, SourceHealthRow

__all__ = ["TABLES", "ExportedTable", "export_table"]

# table name → (model, its time column in ms UTC)
TABLES: dict[str, tuple[Any, str]] = {
    "signals": (SignalRow, "created_ms"),
    "orders": (OrderRow, "created_ms"),
    "fills": (FillRow, "event_ms"),
    "health": (SourceHealthRow, "ts_ms"),
    "alerts": (AlertRow, "ts_ms"),
}


@dataclass(frozen=True)
class ExportedTable:
    table: str
    rows: int
    path: Path


def _rows(
    db: Database, table: Table, time_col: str, since: int | None, until: int | None
) -> Iterator[dict[str, Any]]:
    pk = next(iter(table.primary_key.columns))
    tcol = table.c[time_col]
    after: Any = None
    while True:
        stmt = select(table)
        if since is not None:
            stmt = stmt.where(tcol >= since)
        if until is not None:
            stmt = stmt.where(tcol < until)
        if after is not None:
            stmt = stmt.where(pk > after)
        stmt = stmt.order_by(pk).limit(5000)
        with db.engine.connect() as conn:
            page = [dict(r._mapping) for r in conn.execute(stmt)]
        yield from page
        if len(page) < 5000:
            return
        after = page[-1][pk.name]


def _plain(v: Any) -> Any:
    if isinstance(v, Decimal):
        return str(v)  # exact: money stays decimal text
    if isinstance(v, (list, dict)):
        return json.dumps(v, sort_keys=True)
    return v


def export_table(
    db: Database,
    name: str,
    out: Path,
    fmt: str,
    since_ms: int | None = None,
    until_ms: int | None = None,
) -> ExportedTable:
    if name not in TABLES:
        raise ValueError(f"unknown table {name!r}: {', '.join(TABLES)}")
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"unknown format {fmt!r}: parquet or csv")
    model, time_col = TABLES[name]
    table: Table = model.__table__
    cols = [c.name for c in table.columns]
    out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    if fmt == "csv":
        with open(out, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=cols)
            w.writeheader()
            for row in _rows(db, table, time_col, since_ms, until_ms):
                w.writerow({k: _plain(v) for k, v in row.items()})
                n += 1
        return ExportedTable(name, n, out)
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([pa.field(c.name, _arrow_type(pa, c.type)) for c in table.columns])
    batch: list[dict[str, Any]] = []
    with pq.ParquetWriter(out, schema) as writer:
        for row in _rows(db, table, time_col, since_ms, until_ms):
            batch.append({k: _plain(v) for k, v in row.items()})
            if len(batch) == 5000:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                n += len(batch)
                batch = []
        writer.write_table(pa.Table.from_pylist(batch, schema=schema))
        n += len(batch)
    return ExportedTable(name, n, out)


def _arrow_type(pa: Any, t: Any) -> Any:
    """Column type → Arrow type; exact decimals and JSON travel as text."""
    try:
        py = t.python_type
    except NotImplementedError:  # SQLAlchemy's answer for types without one (JSON …)
        return pa.string()
    if py is bool:
        return pa.bool_()
    if py is int:
        return pa.int64()
    if py is float:
        return pa.float64()
    return pa.string()
