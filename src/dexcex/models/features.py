"""The model's input vector, built by one function for training and for serving.

A signal carries its features as a name → float map (``Signal.features``); the dataset
export writes the same map as ``f_<name>`` columns. ``vector`` turns either into the
row the model sees — the names in the model's order, a missing feature as NaN, and the
trade's direction as ±1 — so what a model was trained on and what it scores are the
output of the very same code (the parity test checks it bit for bit).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "DIRECTION",
    "FEATURE_SETS",
    "RULE_SCORES",
    "direction_sign",
    "feature_names",
    "row_features",
    "vector",
]

DIRECTION = "direction"
_NAN = math.nan
# The rule's inputs: the six direction-aligned scores of the confidence logistic.
RULE_SCORES = (
    "score_orderflow",
    "score_liquidity",
    "score_volume_price",
    "score_smart_money",
    "score_concentration",
    "score_lead",
)
FEATURE_SETS = ("dex", "scores")


def direction_sign(direction: Any) -> float:
    """+1 for a long, −1 for a short (a ``Direction`` or its string value)."""
    return 1.0 if str(getattr(direction, "value", direction)) == "long" else -1.0


def vector(features: Mapping[str, float], direction: float, names: Sequence[str]) -> list[float]:
    """The model's row: each name's value (NaN when absent), ``direction`` for its name."""
    out: list[float] = []
    for n in names:
        if n == DIRECTION:
            out.append(direction)
        else:
            v = features.get(n)
            out.append(_NAN if v is None else float(v))
    return out


def row_features(row: Mapping[str, Any]) -> dict[str, float]:
    """A dataset row's feature map (its ``f_`` columns that hold a value)."""
    return {k[2:]: float(v) for k, v in row.items() if k.startswith("f_") and v is not None}


def feature_names(available: Sequence[str], feature_set: str) -> list[str]:
    """The inputs of a feature set, from the features the data has (sorted, then the
    direction): ``dex`` every DEX feature, ``scores`` the rule's six scores only."""
    if feature_set == "dex":
        chosen = sorted(set(available))
    elif feature_set == "scores":
        chosen = [n for n in RULE_SCORES if n in set(available)]
    else:
        raise ValueError(f"unknown feature set {feature_set!r}: {', '.join(FEATURE_SETS)}")
    return [*chosen, DIRECTION]
