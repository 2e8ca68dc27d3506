"""The input of ``dexcex fit-rule --scenario``: a seeded paper run of the simulator, made
by the command itself, reduced to what the fit reads and written as a file whose hash the
provenance names.

The run is ``roots.paper.run_paper`` (the engine, paper execution and labeling in virtual
time) into a temporary SQLite database; its signals become rows through the dataset
export's own code (``models.data.rows_of_db``). The same scenario, seed, hours and
configuration give the same rows, byte for byte: the simulator is seeded and the clock is
virtual. The shipped weights (``config/rule_fit/``) are this command's output on 24
market hours of ``realistic``, collected under ``config/rule_fit/collect.toml``.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dexcex.config import Settings
from dexcex.labeling.outcomes import HORIZONS
from dexcex.models.data import rows_of_db
from dexcex.models.features import RULE_SCORES

__all__ = ["Collected", "collect", "fit_columns", "settings_digest", "write_input"]


@dataclass(frozen=True)
class Collected:
    scenario: str
    seed: int
    virtual_hours: float
    start_ms: int
    rows: list[dict[str, Any]]  # the export's rows, every signal


def fit_columns(horizon: str) -> list[tuple[str, str]]:
    """The columns fit-rule reads (``models.data.frame_of`` on the ``scores`` set), typed."""
    if horizon not in HORIZONS:
        raise ValueError(f"unknown horizon {horizon!r}")
    return [
        ("id", "string"),
        ("created_ms", "int64"),
        ("asset_id", "string"),
        ("origin", "string"),
        ("direction", "string"),
        ("confidence", "float64"),
        (f"label_{horizon}", "bool"),
        (f"net_{horizon}_bps", "float64"),
        (f"ret_{horizon}_bps", "float64"),
        *[(f"f_{n}", "float64") for n in RULE_SCORES],
    ]


def settings_digest(settings: Settings) -> str:
    """SHA-256 of the core's settings as canonical JSON: what shaped the signals."""
    blob = json.dumps(settings.core.model_dump(mode="json"), sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()


def collect(
    settings: Settings, scenario: str, seed: int, hours: float, *, settle: bool = True
) -> Collected:
    """Paper-trade ``hours`` of ``scenario`` (seed ``seed``) in virtual time; its rows."""
    from dexcex.roots.paper import run_paper
    from dexcex.roots.running import open_database
    from dexcex.sim.scenario import load_scenario

    sc = load_scenario(scenario, seed=seed)
    with tempfile.TemporaryDirectory(prefix="dexcex-fit-rule-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'collect.db'}"
        local = settings.model_copy(
            update={"store": settings.store.model_copy(update={"url": url})}
        )
        db = open_database(local)
        try:
            run_paper(local, sc, hours, db, settle=settle)
            signals = list(db.signals.iter_range(None, None))
        finally:
            db.close()
    rows, _ = rows_of_db(signals)
    return Collected(scenario, seed, hours, sc.start_ms, rows)


def write_input(rows: list[dict[str, Any]], horizon: str, path: Path) -> int:
    """The DEX rows with an outcome at ``horizon``, only the columns the fit reads, in
    time order, as Parquet at ``path``; how many."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols = fit_columns(horizon)
    keep = sorted(
        (
            r
            for r in rows
            if r.get("origin") == "dex"
            and r.get(f"label_{horizon}") is not None
            and r.get(f"net_{horizon}_bps") is not None
        ),
        key=lambda r: (r["created_ms"], r["id"]),
    )
    types = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64()}
    schema = pa.schema([pa.field(n, types.get(t, pa.bool_())) for n, t in cols])
    table = pa.Table.from_pylist([{n: r.get(n) for n, _ in cols} for r in keep], schema=schema)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd")
    return len(keep)
