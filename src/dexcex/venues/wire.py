"""Numbers and price levels from venue wire strings, validated (shared by the venues)."""

from __future__ import annotations

import math
from collections.abc import Iterable

from dexcex.domain import InvalidInput

__all__ = ["level_list", "positive", "size"]


def positive(raw: object, what: str) -> float:
    """A finite number > 0 from a decimal string (or number)."""
    x = size(raw, what)
    if x <= 0:
        raise InvalidInput(f"{what}: must be > 0, got {raw!r}")
    return x


def size(raw: object, what: str) -> float:
    """A finite number >= 0 from a decimal string (or number)."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise InvalidInput(f"{what}: not a number: {raw!r}")
    try:
        x = float(raw)
    except ValueError:
        raise InvalidInput(f"{what}: not a number: {raw!r}") from None
    if not math.isfinite(x) or x < 0:
        raise InvalidInput(f"{what}: must be a finite number >= 0, got {raw!r}")
    return x


def level_list(pairs: Iterable[tuple[object, object]], what: str) -> list[tuple[float, float]]:
    """(price > 0, size >= 0) pairs; size 0 means "remove the level"."""
    return [(positive(p, f"{what} price"), size(q, f"{what} size")) for p, q in pairs]
