"""The dataset export: stable columns, one row per signal, every null explained."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from dexcex.dataset.export import (
    _DEX,
    _EXECUTION,
    BASE,
    OUTCOMES,
    export_rows,
    null_reasons,
    to_rows,
)
from dexcex.dataset.stats import dataset_stats
from dexcex.labeling.outcomes import HORIZONS

_FILLED = {"string": "x", "int64": 1, "float64": 1.0, "bool": True}


def executed_dex() -> dict[str, Any]:
    row: dict[str, Any] = {c.name: _FILLED[c.type] for c in BASE + OUTCOMES}
    row.update(
        id="sig-1",
        created_ms=1_700_000_000_000,
        asset_id="wif",
        venue="mexc",
        symbol="WIF/USDT",
        origin="dex",
        direction="long",
        confidence=0.8,
        status="executed",
        status_reason="order filled",
        executable=True,
        dex_chain="solana",
        dex_pool="pool1",
        dex_price_usd=2.5,
        imbalance=0.7,
        window_s=20,
        cex_mid=2.49,
        risk_decision="approved",
        risk_reasons=["all checks passed", "regime normal"],
        order_client_id="dxe-sig-1",
        fill_price=2.495,
        features={"imbalance_z": 3.1, "large_share": 0.4},
        outcome_note=None,
        realized_slippage_bps=None,
    )
    for h in HORIZONS:
        row[f"ret_{h}_bps"] = 12.0
        row[f"label_{h}"] = True
    return row


def filtered_baseline() -> dict[str, Any]:
    row: dict[str, Any] = {c.name: _FILLED[c.type] for c in BASE + OUTCOMES}
    for c in BASE + OUTCOMES:
        if c.name in _DEX or c.name in _EXECUTION or c.name.endswith("_60m_bps"):
            row[c.name] = None
    row.update(
        id="sig-2",
        created_ms=1_700_000_060_000,
        asset_id="pepe",
        venue="mexc",
        symbol="PEPE/USDT",
        origin="cex_baseline",
        direction="short",
        confidence=0.5,
        status="filtered",
        status_reason="short on a spot venue",
        executable=False,
        cex_mid=0.00001,
        risk_decision="rejected",
        features={"z": -3.4},
        label_60m=None,
        outcome_note="run ended before every horizon (60m: data ends before the horizon)",
    )
    for h in list(HORIZONS)[:-1]:
        row[f"label_{h}"] = False
    return row


def test_columns_come_in_a_stable_order_with_features_sorted() -> None:
    rows = list(to_rows([executed_dex(), filtered_baseline()], _fcols()))
    names = list(rows[0])
    assert names[: len(BASE)] == [c.name for c in BASE]
    assert names[len(BASE) : len(BASE) + 3] == ["f_imbalance_z", "f_large_share", "f_z"]
    assert names[-1] == "null_reasons" and list(rows[1]) == names
    assert rows[0]["risk_reasons"] == "all checks passed; regime normal"
    assert rows[0]["created_utc"].startswith("2023-11-14T22:13:20")


def _fcols():  # type: ignore[no-untyped-def]
    from dexcex.dataset.export import feature_columns

    return feature_columns([executed_dex(), filtered_baseline()])


def test_every_null_has_a_reason_that_says_why() -> None:
    ex, base = to_rows([executed_dex(), filtered_baseline()], _fcols())
    r_ex = json.loads(ex["null_reasons"])
    assert r_ex["f_z"] == "not a feature of dex signals"
    assert r_ex["outcome_note"] == "every outcome is known"
    assert "realized_slippage_bps" in r_ex  # executed but not reported: still explained
    r_b = json.loads(base["null_reasons"])
    assert r_b["dex_pool"] == "CEX-only baseline signal: no DEX context"
    assert r_b["fill_price"] == "not executed (filtered: short on a spot venue)"
    assert r_b["label_60m"].startswith("run ended before every horizon")
    for row, reasons in ((ex, r_ex), (base, r_b)):
        assert {k for k, v in row.items() if v is None} == set(reasons)


def test_parquet_and_csv_agree_with_the_schema_file(tmp_path: Path) -> None:
    rows = [executed_dex(), filtered_baseline()]
    res = export_rows(rows, tmp_path / "d.parquet", "parquet")
    table = pq.read_table(res.path)
    schema = json.loads(res.schema.read_text())
    assert [c["name"] for c in schema["columns"]] == table.column_names
    assert {c["type"] for c in schema["columns"]} <= {"string", "int64", "float64", "bool"}
    assert all(c["meaning"] for c in schema["columns"])
    assert str(table.schema.field("created_ms").type) == "int64"
    assert table.column("label_60m").to_pylist() == [True, None]
    res_csv = export_rows(rows, tmp_path / "d.csv", "csv")
    with open(res_csv.path, encoding="utf-8") as fh:
        got = list(csv.DictReader(fh))
    assert [r["id"] for r in got] == ["sig-1", "sig-2"]
    assert list(got[0]) == table.column_names
    with pytest.raises(ValueError, match="parquet or csv"):
        export_rows(rows, tmp_path / "d.xlsx", "xlsx")


def test_stats_count_assets_labels_and_missing() -> None:
    st = dataset_stats([executed_dex(), filtered_baseline(), executed_dex()])
    assert st.rows == 3
    assert st.by_asset[("wif", "dex")] == 2 and st.by_asset[("pepe", "cex_baseline")] == 1
    assert st.labels["60m"] == {"true": 2, "null": 1}
    assert st.labels["30s"] == {"true": 2, "false": 1}
    assert st.missing["fill_price"] == 1 and st.unexplained_nulls == 0


def test_a_null_nobody_can_explain_is_counted() -> None:
    row = executed_dex()
    row["symbol"] = None  # a column that has no reason to be empty
    assert null_reasons(row, BASE)["symbol"] == "not recorded"
    assert dataset_stats([row]).unexplained_nulls == 1
