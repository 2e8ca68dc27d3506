"""`dexcex paper` end to end on a short virtual run: stored, traded, labeled, exported."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from dexcex.cli.main import app
from dexcex.config import load_settings
from dexcex.dataset.export import export_rows
from dexcex.dataset.stats import dataset_stats
from dexcex.domain import OrderStatus, TradingMode
from dexcex.execution.report import performance
from dexcex.roots.paper import PaperRunResult, run_paper
from dexcex.sim.scenario import load_scenario
from dexcex.store import Database


@pytest.fixture(scope="module")
def paper_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Database, PaperRunResult]:
    path = tmp_path_factory.mktemp("paper") / "p.sqlite3"
    db = Database.open(f"sqlite:///{path}", migrate=True)
    sc = load_scenario("default").model_copy(update={"seed": 11})
    res = run_paper(load_settings(), sc, 1.0, db)
    yield db, res  # type: ignore[misc]
    db.close()


def test_every_signal_is_stored_and_labeled(paper_db: tuple[Database, PaperRunResult]) -> None:
    db, res = paper_db
    assert res.signals == db.signals.count() > 50
    assert res.dex_signals > 0 and res.baseline_signals > 0
    rows = list(db.signals.iter_range())
    # Everything signalled in the traded hour has all horizons (the settle hour sees to
    # it); signals raised while settling may run out of data, and then a note says why.
    end = load_scenario("default").start_ms + 3_600_000
    traded_hour = [r for r in rows if r["created_ms"] <= end]
    assert traded_hour and all(r["label_60m"] is not None for r in traded_hour)
    assert all(r["label_5m"] is not None or r["outcome_note"] for r in rows)


def test_approved_signals_are_traded_or_say_why(paper_db: tuple[Database, PaperRunResult]) -> None:
    db, _ = paper_db
    rows = list(db.signals.iter_range())
    executed = [r for r in rows if r["status"] == "executed"]
    assert executed
    for r in executed:
        assert r["fill_price"] is not None and r["order_client_id"].startswith("dxe")
        assert r["lat_order_to_ack_ms"] == 150  # the configured paper latency
    for r in rows:
        if r["risk_decision"] == "approved" and r["status"] != "executed":
            assert r["status"] in ("expired", "filtered") and r["status_reason"]
    orders = db.orders.with_signal(TradingMode.PAPER)
    assert all(o.status in (OrderStatus.FILLED, OrderStatus.CANCELED) for o in orders)
    assert {o.client_order_id[:3] for o in orders} == {"dxe", "dxx"}  # entries and exits


def test_report_round_trips_add_up(paper_db: tuple[Database, PaperRunResult]) -> None:
    db, _ = paper_db
    stats = performance(db)
    dex = stats["dex"]
    assert dex.trades and dex.hit_rate is not None
    for t in dex.trades:
        assert t.closed_ms >= t.opened_ms and t.fees > 0
    curve = dex.curve()
    assert curve[-1][1] == pytest.approx(float(dex.total))


def test_dataset_export_explains_every_null(
    paper_db: tuple[Database, PaperRunResult], tmp_path: Path
) -> None:
    db, _ = paper_db
    rows = list(db.signals.iter_range())
    res = export_rows(rows, tmp_path / "d.parquet", "parquet")
    table = pq.read_table(res.path)
    assert table.num_rows == len(rows)
    schema = json.loads(res.schema.read_text())
    assert [c["name"] for c in schema["columns"]] == table.column_names
    data = table.to_pylist()
    for row in data:
        reasons = json.loads(row["null_reasons"])
        nulls = {k for k, v in row.items() if v is None}
        assert nulls == set(reasons), (nulls ^ set(reasons), row["id"])
    st = dataset_stats(rows)
    assert st.unexplained_nulls == 0 and st.rows == len(rows)
    csv_res = export_rows(rows, tmp_path / "d.csv", "csv")
    assert csv_res.rows == len(rows)
    assert (tmp_path / "d.csv").read_text().splitlines()[0].split(",")[:3] == [
        "id",
        "created_ms",
        "created_utc",
    ]


def test_cli_paper_report_dataset(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    runner = CliRunner()
    res = runner.invoke(app, ["paper", "--virtual-hours", "0.2", "--no-settle", "--db", url])
    assert res.exit_code == 0, res.output
    assert "labeled" in res.output
    res = runner.invoke(app, ["report", "--db", url, "--out", str(tmp_path / "rep")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "rep" / "report.png").exists()
    out = tmp_path / "x.csv"
    res = runner.invoke(
        app, ["dataset", "export", "--format", "csv", "--db", url, "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert out.exists() and (tmp_path / "x.schema.json").exists()
    res = runner.invoke(app, ["dataset", "stats", "--db", url])
    assert res.exit_code == 0, res.output
    assert "without a reason" not in res.output
