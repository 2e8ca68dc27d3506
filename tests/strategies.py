"""Hypothesis strategies shared by the parser property tests."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, -1, 0, "", "abc", "-1", "nan", "1e999"]),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


@st.composite
def mutated(draw: st.DrawFn, value: Any, depth: int = 0) -> Any:
    """``value`` with random parts deleted, replaced by junk, or left alone."""
    choice = draw(st.integers(0, 9))
    if depth > 0 and choice == 0:
        return draw(junk)
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            action = draw(st.integers(0, 9))
            if action == 0:
                continue  # key deleted
            out[k] = draw(mutated(v, depth + 1)) if action <= 3 else v
        return out
    if isinstance(value, list):
        items = [draw(mutated(v, depth + 1)) if draw(st.booleans()) else v for v in value]
        if items and draw(st.integers(0, 5)) == 0:
            items = items[: draw(st.integers(0, len(items)))]
        return items
    return value
