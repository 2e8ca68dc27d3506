"""Backup → wipe → restore loses no row; a migration downgrade/upgrade round trip on a
database with data keeps the data; the analytics views answer. SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from dexcex.cli.main import app
from dexcex.domain import (
    Fill,
    HealthState,
    Liquidity,
    Order,
    OrderStatus,
    OrderType,
    Regime,
    RiskDecision,
    Side,
    SourceHealth,
    SourceKind,
    TradingMode,
    VenueId,
)
from dexcex.store import Database, downgrade, upgrade
from dexcex.store.backup import backup, restore, row_counts
from dexcex.store.monitor_store import Alert
from tests.factories import T0, make_signal


def seed(url: str, n: int = 25) -> None:
    db = Database.open(url, migrate=True)
    try:
        for i in range(n):
            sig = make_signal(i, ts=T0 + i * 1000)
            dec = RiskDecision(
                sig.id, sig.ts, True, 2.0, 5.0, 2.5, 2.5, 4.0, Regime.NORMAL, ("ok",)
            )
            db.signals.add_decided([(sig, dec)])
            cid = f"dxe0sig{i:08d}"
            db.orders.add(
                Order(
                    cid,
                    VenueId.MEXC,
                    "WIF/USDT",
                    Side.BUY,
                    OrderType.MARKET,
                    Decimal(2),
                    None,
                    OrderStatus.FILLED,
                    TradingMode.PAPER,
                    sig.ts,
                    signal_id=sig.id,
                    filled_qty=Decimal(2),
                    avg_price=Decimal("2.5"),
                    note="routed to bybit: test" if i % 2 else None,
                )
            )
            db.fills.add(
                Fill(
                    cid,
                    VenueId.MEXC,
                    "WIF/USDT",
                    Side.BUY,
                    Decimal("2.5"),
                    Decimal(2),
                    Decimal("0.0025"),
                    "USDT",
                    Liquidity.TAKER,
                    f"t{i}",
                    TradingMode.PAPER,
                    sig.ts,
                    sig.ts,
                )
            )
            db.signals.record_outcomes_many(
                [(sig.id, {"ret_5m_bps": 10.0, "net_5m_bps": 2.0, "label_5m": True}, None)],
                sig.ts + 300_000,
            )
        db.health.add(
            [
                SourceHealth("mexc", SourceKind.CEX_VENUE, HealthState.OK, True, T0 + k)
                for k in range(5)
            ]
        )
        db.alerts.add(Alert(T0, "connection", "error", "birdeye is down", "connection:birdeye"))
    finally:
        db.close()


def test_backup_wipe_restore_loses_no_row(db_url: str, tmp_path: Path) -> None:
    seed(db_url)
    before = row_counts(db_url)
    assert before["signals"] == 25 and before["fills"] == 25 and before["source_health"] == 5
    file = backup(db_url, tmp_path / "b.dump")
    downgrade(db_url, "base")  # wipe: every table gone
    assert set(row_counts(db_url)) <= {"alembic_version"}
    restore(db_url, file)
    assert row_counts(db_url) == before
    db = Database.open(db_url)
    try:
        o = db.orders.get("dxe0sig00000001")
        assert o is not None and o.note == "routed to bybit: test" and o.avg_price == Decimal("2.5")
        row = db.signals.get("sig-00000003")
        assert row is not None and row["label_5m"] is True
    finally:
        db.close()


def test_migration_round_trip_keeps_the_data(db_url: str) -> None:
    seed(db_url)
    before = row_counts(db_url)
    downgrade(db_url, "0001")  # below the orders.note column and the views
    upgrade(db_url)
    after = row_counts(db_url)
    assert after == before
    db = Database.open(db_url)
    try:
        o = db.orders.get("dxe0sig00000002")
        assert o is not None and o.filled_qty == Decimal(2) and o.note is None  # the column's data
    finally:
        db.close()


def test_the_views_answer(db_url: str) -> None:
    seed(db_url)
    db = Database.open(db_url)
    try:
        with db.engine.connect() as conn:
            perf = conn.execute(
                text("SELECT origin, signals, hit_rate_5m FROM v_daily_performance")
            ).all()
            latest = conn.execute(text("SELECT source, state FROM v_source_health_latest")).all()
            n = conn.execute(text("SELECT count(*) FROM v_signal_outcomes")).scalar_one()
    finally:
        db.close()
    assert perf == [("dex", 25, pytest.approx(1.0))]
    assert latest == [("mexc", "ok")]
    assert n == 25


def test_cli_backup_and_restore(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    seed(url, 3)
    runner = CliRunner()
    res = runner.invoke(app, ["db", "backup", str(tmp_path / "x.sqlite3"), "--url", url])
    assert res.exit_code == 0 and "backed up" in res.output, res.output
    res = runner.invoke(app, ["db", "restore", str(tmp_path / "x.sqlite3"), "--url", url])
    assert res.exit_code != 0 and "--yes" in res.output
    (tmp_path / "cli.sqlite3").unlink()
    res = runner.invoke(app, ["db", "restore", str(tmp_path / "x.sqlite3"), "--url", url, "--yes"])
    assert res.exit_code == 0 and "restored" in res.output, res.output
    assert row_counts(url)["signals"] == 3


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_export_tables_by_time_range(tmp_path: Path, fmt: str) -> None:
    import csv

    import pyarrow.parquet as pq

    url = f"sqlite:///{tmp_path / 'e.sqlite3'}"
    seed(url, 12)
    runner = CliRunner()
    for table, expect in (
        ("signals", 5),
        ("fills", 5),
        ("orders", 5),
        ("health", 5),
        ("alerts", 1),
    ):
        out = tmp_path / f"{table}.{fmt}"
        args = ["export", table, "--format", fmt, "--db", url, "--out", str(out)]
        if table not in {"alerts", "health"}:
            args += ["--since", str(T0 + 2000), "--until", str(T0 + 7000)]
        res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
        if fmt == "parquet":
            rows = pq.read_table(out).to_pylist()
        else:
            with open(out, encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
        assert len(rows) == expect, (table, len(rows))
    fills = pq.read_table(tmp_path / "fills.parquet").to_pylist() if fmt == "parquet" else None
    if fills is not None:
        assert fills[0]["price"] == "2.5" and isinstance(fills[0]["event_ms"], int)
    bad = runner.invoke(app, ["export", "trades", "--db", url])
    assert bad.exit_code != 0 and "one of signals" in bad.output
