"""Database-shaped signal rows with a known truth, for the model tests.

``edge`` > 0 plants a real one: the 5-minute return follows ``imbalance_z`` (in the
trade's direction); the stored rule confidence is noise either way, so a model that
learns must beat the rule, and with ``edge`` = 0 nothing may look like an edge.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dexcex.labeling.outcomes import HORIZONS

T0 = 1_760_000_000_000
ASSETS = ("wif", "bonk", "pepe", "jup")


def signal_rows(
    n: int, *, edge: float, seed: int = 0, step_ms: int = 30_000
) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    for i in range(n):
        z = float(rng.normal())
        long = bool(rng.random() < 0.5)
        ret = edge * z + float(rng.normal(0, 20))
        cost = 10.0
        feats = {
            "imbalance_z": z,
            "intensity": float(rng.exponential()),
            "noise_a": float(rng.normal()),
            "cost_bps": cost,
            "score_orderflow": max(-4.0, min(4.0, z)),
            "score_liquidity": float(rng.normal()),
        }
        row: dict[str, Any] = {
            "id": f"sig_{i:06d}",
            "created_ms": T0 + i * step_ms,
            "asset_id": ASSETS[i % len(ASSETS)],
            "venue": "mexc",
            "symbol": "X/USDT",
            "origin": "dex",
            "direction": "long" if long else "short",
            "confidence": float(rng.uniform(0.3, 0.9)),
            "priority": 1.0,
            "expected_move_bps": 5.0,
            "status": "filtered",
            "executable": True,
            "trigger_event_ms": T0 + i * step_ms,
            "trigger_recv_ms": T0 + i * step_ms,
            "features": feats,
        }
        for h in HORIZONS:
            row[f"ret_{h}_bps"] = ret
            row[f"net_{h}_bps"] = ret - cost
            row[f"label_{h}"] = ret - cost > 0
        rows.append(row)
    return rows
