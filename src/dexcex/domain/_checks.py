"""Invariant checks shared by the domain value types (raise DomainValidationError)."""

from __future__ import annotations

import math
from decimal import Decimal

from dexcex.domain.errors import DomainValidationError

__all__ = ["check_finite", "check_non_negative", "check_positive", "check_text", "check_time"]

# 2000-01-01 .. 2100-01-01 in ms: anything outside is a unit mistake (seconds, µs) or garbage.
MIN_TS_MS = 946_684_800_000
MAX_TS_MS = 4_102_444_800_000
_INF = math.inf

# Each check starts with the common case — a plain float (or int, str) that passes —
# tested by exact type and one chained comparison (NaN fails every comparison), so that
# decoding a recording does not pay the full checks per field; anything else takes the
# full path, which raises or passes exactly as before.


def _fail(owner: str, field: str, value: object, why: str) -> DomainValidationError:
    return DomainValidationError(f"{owner}.{field}={value!r}: {why}")


def check_finite(owner: str, field: str, value: float) -> None:
    if value.__class__ is float and -_INF < value < _INF:
        return
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise _fail(owner, field, value, "must be a number")
    if not math.isfinite(value):
        raise _fail(owner, field, value, "must be finite")


def check_positive(owner: str, field: str, value: float | Decimal) -> None:
    if value.__class__ is float and 0.0 < value < _INF:
        return
    if isinstance(value, Decimal):
        if not value.is_finite() or value <= 0:
            raise _fail(owner, field, value, "must be a finite number > 0")
        return
    check_finite(owner, field, value)
    if value <= 0:
        raise _fail(owner, field, value, "must be > 0")


def check_non_negative(owner: str, field: str, value: float | Decimal) -> None:
    if value.__class__ is float and 0.0 <= value < _INF:
        return
    if isinstance(value, Decimal):
        if not value.is_finite() or value < 0:
            raise _fail(owner, field, value, "must be a finite number >= 0")
        return
    check_finite(owner, field, value)
    if value < 0:
        raise _fail(owner, field, value, "must be >= 0")


def check_time(owner: str, field: str, value: int) -> None:
    if value.__class__ is int and MIN_TS_MS <= value <= MAX_TS_MS:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        raise _fail(owner, field, value, "must be integer milliseconds UTC")
    if not MIN_TS_MS <= value <= MAX_TS_MS:
        raise _fail(owner, field, value, "outside 2000..2100 in ms (seconds or µs given?)")


def check_text(owner: str, field: str, value: str) -> None:
    if value.__class__ is str and value:
        return
    if not isinstance(value, str) or not value:
        raise _fail(owner, field, value, "must be a non-empty string")
