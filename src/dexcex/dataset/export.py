"""The ML dataset: one row per signal — features, context, risk, execution, outcomes.

Columns come in a fixed order (``base_columns`` then the features, sorted by name, as
``f_<name>``, then the outcomes). Every empty cell is explained: ``null_reasons`` holds,
per row, a JSON object mapping each null column to why it is null (a filtered signal was
not executed; a CEX-only baseline signal has no DEX context; the run ended before a
horizon …). ``schema.json`` beside the data lists every column with its type, unit and
meaning.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dexcex.labeling.outcomes import HORIZONS

__all__ = ["COLUMNS", "Column", "ExportResult", "export_rows", "null_reasons", "to_rows"]


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # string, int64, float64, bool
    unit: str
    meaning: str


def _c(name: str, type_: str, unit: str, meaning: str) -> Column:
    return Column(name, type_, unit, meaning)


BASE: list[Column] = [
    _c("id", "string", "", "signal id (stable across replays of the same data)"),
    _c("created_ms", "int64", "ms UTC", "when the signal fired"),
    _c("created_utc", "string", "ISO 8601", "the same, readable"),
    _c("asset_id", "string", "", "the coin"),
    _c("venue", "string", "", "CEX venue the signal was for"),
    _c("symbol", "string", "", "CEX market"),
    _c("origin", "string", "", "dex (DEX-led) or cex_baseline (CEX-only momentum rule)"),
    _c("direction", "string", "", "long or short"),
    _c("confidence", "float64", "0..1", "model confidence"),
    _c("priority", "float64", "", "confidence × expected move ÷ cost"),
    _c("expected_move_bps", "float64", "bps", "expected move over the signal horizon"),
    _c("status", "string", "", "new, filtered, rejected_by_risk, executed, expired"),
    _c("status_reason", "string", "", "why it has that status"),
    _c("executable", "bool", "", "false e.g. for a short on a spot-only venue"),
    _c("trigger_event_ms", "int64", "ms UTC", "source time of the triggering DEX event"),
    _c("trigger_recv_ms", "int64", "ms UTC", "local receive time of that event"),
    _c("dex_chain", "string", "", "chain of the triggering pool"),
    _c("dex_pool", "string", "", "triggering pool address"),
    _c("dex_price_usd", "float64", "USD", "DEX price at signal time"),
    _c("imbalance", "float64", "-1..1", "(buy − sell) / (buy + sell) USD, trigger window"),
    _c("buy_volume_usd", "float64", "USD", "aggressive buys in the trigger window"),
    _c("sell_volume_usd", "float64", "USD", "aggressive sells in the trigger window"),
    _c("window_s", "int64", "s", "trigger window length"),
    _c("liq_velocity", "float64", "USD/s", "pool liquidity velocity (EWMA)"),
    _c("liq_acceleration", "float64", "USD/s²", "pool liquidity acceleration (EWMA)"),
    _c("vp_score", "float64", "-4..4", "volume–price (accumulation) score"),
    _c("cex_bid", "float64", "quote", "best bid at signal time"),
    _c("cex_ask", "float64", "quote", "best ask at signal time"),
    _c("cex_mid", "float64", "quote", "mid at signal time"),
    _c("cex_spread_bps", "float64", "bps", "spread at signal time"),
    _c("cex_depth_bid_1pct", "float64", "quote", "bid depth within 1 % of mid"),
    _c("cex_depth_ask_1pct", "float64", "quote", "ask depth within 1 % of mid"),
    _c("cex_book_ms", "int64", "ms UTC", "time of that book"),
    _c("risk_decision", "string", "", "approved or rejected"),
    _c("risk_size_base", "float64", "base units", "size risk allowed"),
    _c("risk_notional_quote", "float64", "quote", "its notional"),
    _c("risk_slippage_bps", "float64", "bps", "estimated slippage from the book walk"),
    _c("risk_regime", "string", "", "volatility regime"),
    _c("risk_reasons", "string", "", "every reason, '; '-separated"),
    _c("order_client_id", "string", "", "entry order (paper or live)"),
    _c("fill_price", "float64", "quote", "average entry fill price"),
    _c("filled_qty", "float64", "base units", "entry quantity filled"),
    _c("fees_quote", "float64", "quote", "entry fees"),
    _c("realized_slippage_bps", "float64", "bps", "entry fill vs mid at signal time"),
    _c("lat_dex_to_signal_ms", "int64", "ms", "triggering DEX event → signal"),
    _c("lat_signal_to_order_ms", "int64", "ms", "signal → order sent"),
    _c("lat_order_to_ack_ms", "int64", "ms", "order sent → venue acknowledgement"),
]
OUTCOMES: list[Column] = [
    *[
        _c(f"{kind}_{h}_bps", "float64", "bps", f"{meaning} at {h}")
        for kind, meaning in (
            ("ret", "CEX mid return in the signal's direction"),
            ("net", "that return minus the estimated round-trip cost"),
            ("mfe", "most favourable excursion"),
            ("mae", "most adverse excursion"),
        )
        for h in HORIZONS
    ],
    *[_c(f"label_{h}", "bool", "", f"profitable after fees and slippage at {h}") for h in HORIZONS],
    _c("outcome_note", "string", "", "why an outcome is missing, if one is"),
    _c("null_reasons", "string", "JSON", "for every null cell of the row: why it is null"),
]
COLUMNS = BASE + OUTCOMES  # features go in between
_EXECUTION = {
    "order_client_id",
    "fill_price",
    "filled_qty",
    "fees_quote",
    "realized_slippage_bps",
    "lat_dex_to_signal_ms",
    "lat_signal_to_order_ms",
    "lat_order_to_ack_ms",
}
_DEX = {
    "dex_chain",
    "dex_pool",
    "dex_price_usd",
    "liq_velocity",
    "liq_acceleration",
    "vp_score",
    "imbalance",
    "buy_volume_usd",
    "sell_volume_usd",
    "window_s",
    "trigger_event_ms",
}


def feature_columns(rows: Iterable[dict[str, Any]]) -> list[Column]:
    names = sorted({k for r in rows for k in (r.get("features") or {})})
    return [_c(f"f_{n}", "float64", "", f"feature {n} at signal time") for n in names]


def null_reasons(row: dict[str, Any], columns: list[Column]) -> dict[str, str]:
    """Why each null column of ``row`` is null (every one gets a reason)."""
    return {
        c.name: _reason(c.name, row)
        for c in columns
        if c.name != "null_reasons" and row.get(c.name) is None
    }


def _reason(name: str, row: dict[str, Any]) -> str:
    status = row.get("status")
    if name == "status_reason":
        return "none: it passed every filter"
    if name.startswith("f_"):
        return f"not a feature of {row.get('origin')} signals"
    if row.get("origin") != "dex" and (name in _DEX or name.startswith("score_")):
        return "CEX-only baseline signal: no DEX context"
    if name == "dex_pool":
        return "not tied to one pool"
    if name == "dex_price_usd":
        return "no DEX price seen yet for the asset"
    if name.startswith("cex_"):
        return "no CEX book when the signal fired"
    if name in _EXECUTION:
        if status == "executed":
            return "not reported for this execution"
        return f"not executed ({status}: {row.get('status_reason') or 'not approved'})"
    if name.startswith("risk_"):
        return "no risk estimate (no two-sided book)"
    if name.split("_", maxsplit=1)[0] in ("ret", "net", "mfe", "mae", "label"):
        return str(row.get("outcome_note") or "horizon not elapsed yet")
    if name == "outcome_note":
        return "every outcome is known"
    return "not recorded"


def to_rows(
    signals: Iterable[dict[str, Any]], feature_cols: list[Column]
) -> Iterator[dict[str, Any]]:
    """Database rows → flat dataset rows in column order (values only, no objects)."""
    cols = BASE + feature_cols + OUTCOMES
    for r in signals:
        row: dict[str, Any] = {}
        feats = r.get("features") or {}
        for col in cols:
            n = col.name
            if n == "created_utc":
                v: Any = datetime.fromtimestamp(r["created_ms"] / 1000, UTC).isoformat()
            elif n.startswith("f_"):
                v = feats.get(n[2:])
            elif n == "risk_reasons":
                v = "; ".join(r["risk_reasons"]) if r.get("risk_reasons") else None
            elif n == "null_reasons":
                continue
            else:
                v = r.get(n)
            if v is not None and col.type == "float64":
                v = float(v)
            row[n] = v
        row["null_reasons"] = json.dumps(null_reasons(row, cols), sort_keys=True)
        yield row


@dataclass
class ExportResult:
    rows: int
    path: Path
    schema: Path
    columns: int


def export_rows(signals: list[dict[str, Any]], out: Path, fmt: str) -> ExportResult:
    """Write ``signals`` (database rows) as Parquet or CSV at ``out`` (+ schema.json)."""
    fcols = feature_columns(signals)
    cols = BASE + fcols + OUTCOMES
    rows = list(to_rows(signals, fcols))
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        types = {
            "string": pa.string(),
            "int64": pa.int64(),
            "float64": pa.float64(),
            "bool": pa.bool_(),
        }
        schema = pa.schema([pa.field(c.name, types[c.type]) for c in cols])
        table = pa.Table.from_pylist(rows, schema=schema)
        pq.write_table(table, out)
    elif fmt == "csv":
        with open(out, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=[c.name for c in cols])
            w.writeheader()
            w.writerows(rows)
    else:
        raise ValueError(f"unknown format {fmt!r}: parquet or csv")
    schema_path = out.with_name(out.stem + ".schema.json")
    schema_path.write_text(
        json.dumps(
            {
                "format": fmt,
                "rows": len(rows),
                "columns": [c.__dict__ for c in cols],
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    return ExportResult(len(rows), out, schema_path, len(cols))
