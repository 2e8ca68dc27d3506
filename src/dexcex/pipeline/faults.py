"""Failures a running engine survives and keeps showing.

Every failed task of the engine (a step, a storage write, a flush of the journal) is
logged, counted per part (``dexcex_task_failures_total``) and turns the engine's own light
red until that part works again — a loop that stops or a database that refuses writes
is never silent.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from dexcex.domain import HealthState, SourceHealth, SourceKind
from dexcex.logs import get_logger

__all__ = ["Faults"]

_log = get_logger("dexcex.faults")


@dataclass
class Faults:
    counts: Counter[str] = field(default_factory=Counter)
    failing: dict[str, str] = field(default_factory=dict)  # part → its last error, while failing

    def failed(self, part: str, error: BaseException | str) -> None:
        self.counts[part] += 1
        text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        self.failing[part] = text[:300]
        _log.error("engine task failed", part=part, error=text[:300], count=self.counts[part])

    def noted(self, part: str, error: str) -> None:
        """A failure dealt with on the spot (a conflicting row set aside): counted and
        logged, the light stays as it is."""
        self.counts[part] += 1
        _log.error("engine task: set aside", part=part, error=error[:300], count=self.counts[part])

    def recovered(self, part: str) -> None:
        if self.failing.pop(part, None) is not None:
            _log.warning("engine task works again", part=part, failures=self.counts[part])

    @property
    def ok(self) -> bool:
        return not self.failing

    def health(self, now_ms: int | None = None) -> SourceHealth:
        """The engine's light: red while any part is failing, with what failed."""
        detail = "; ".join(f"{p}: {e}" for p, e in sorted(self.failing.items()))
        return SourceHealth(
            source="engine tasks",  # (the API process has its own "engine" light)
            kind=SourceKind.ENGINE,
            state=HealthState.DOWN if self.failing else HealthState.OK,
            connected=not self.failing,
            ts=now_ms if now_ms is not None else int(time.time() * 1000),
            errors=sum(self.counts.values()),
            detail=detail,
        )
