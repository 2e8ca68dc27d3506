"""``dexcex dataset stats``: what the stored dataset holds, before anyone trains on it."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dexcex.dataset.export import BASE, OUTCOMES, feature_columns, to_rows
from dexcex.labeling.outcomes import HORIZONS

__all__ = ["DatasetStats", "dataset_stats"]


@dataclass
class DatasetStats:
    rows: int = 0
    by_asset: Counter[tuple[str, str]] = field(default_factory=Counter)  # (asset, origin)
    by_status: Counter[str] = field(default_factory=Counter)
    labels: dict[str, Counter[str]] = field(default_factory=dict)  # horizon → true/false/null
    missing: dict[str, int] = field(default_factory=dict)  # column → null count
    unexplained_nulls: int = 0


def dataset_stats(signals: Iterable[dict[str, Any]]) -> DatasetStats:
    rows_in = list(signals)
    fcols = feature_columns(rows_in)
    cols = BASE + fcols + OUTCOMES
    st = DatasetStats(labels={h: Counter() for h in HORIZONS})
    missing: Counter[str] = Counter()
    for row in to_rows(rows_in, fcols):
        st.rows += 1
        st.by_asset[(row["asset_id"], row["origin"])] += 1
        st.by_status[row["status"]] += 1
        for h in HORIZONS:
            v = row[f"label_{h}"]
            st.labels[h]["null" if v is None else ("true" if v else "false")] += 1
        reasons = json.loads(row["null_reasons"])
        for c in cols:
            if c.name != "null_reasons" and row.get(c.name) is None:
                missing[c.name] += 1
                if reasons.get(c.name, "not recorded") == "not recorded":
                    st.unexplained_nulls += 1
    st.missing = dict(missing)
    return st
