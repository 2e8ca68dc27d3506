"""The kill switch: one state, reached from the API, the page and ``dexcex kill``, that
outlives a restart.

Engaged, it refuses every new entry (the risk layer says "kill switch on" to every
signal, and execution refuses a click), and execution cancels what is open at the
venues; with ``flatten`` it also closes the positions. Exits of open positions still
run: they only reduce risk. It engages by itself when the day's P/L reaches the daily-
loss limit, and when storage keeps failing (a signal is stored before it is traded).
A restart reads the stored state first, so a killed engine stays killed until a person
releases it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Protocol

from dexcex.logs import get_logger

__all__ = ["KillReason", "KillState", "KillSwitch", "StateStore"]

_KEY = "kill_switch"
_log = get_logger("dexcex.kill")


class KillReason(StrEnum):
    MANUAL = "manual"  # a person: the API, the page or `dexcex kill`
    DAILY_LOSS = "daily_loss"  # the day's P/L reached risk.max_daily_loss_usd
    STORAGE = "storage"  # the database kept refusing writes


@dataclass(frozen=True)
class KillState:
    on: bool = False
    reason: KillReason | None = None
    detail: str = ""
    since_ms: int | None = None

    def to_doc(self) -> dict[str, Any]:
        d = asdict(self)
        d["reason"] = self.reason.value if self.reason else None
        return d

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> KillState:
        reason = d.get("reason")
        return cls(
            on=bool(d.get("on")),
            reason=KillReason(reason) if reason else None,
            detail=str(d.get("detail") or ""),
            since_ms=d.get("since_ms"),
        )


class StateStore(Protocol):
    def get(self, key: str) -> dict[str, Any] | None: ...

    def put(self, key: str, value: dict[str, Any], ts_ms: int) -> None: ...


class KillSwitch:
    """The state and its persistence; what engaging *does* is execution's
    (``ExecutionService.kill``)."""

    def __init__(self, store: StateStore | None = None) -> None:
        self.store = store
        self.state = KillState()
        self.on_change: list[Callable[[KillState], None]] = []

    @property
    def on(self) -> bool:
        return self.state.on

    def load(self) -> KillState:
        """The state a previous run left (off when none)."""
        doc = self.store.get(_KEY) if self.store is not None else None
        if doc is not None:
            self.state = KillState.from_doc(doc)
        return self.state

    def stored(self) -> KillState | None:
        """What the store holds now — another process (``dexcex kill``) may have set it."""
        doc = self.store.get(_KEY) if self.store is not None else None
        return KillState.from_doc(doc) if doc is not None else None

    def engage(self, reason: KillReason, detail: str, now_ms: int) -> bool:
        """On (persisted); False when it already was."""
        if self.state.on:
            return False
        self._set(KillState(True, reason, detail, now_ms), now_ms)
        return True

    def release(self, now_ms: int) -> bool:
        if not self.state.on:
            return False
        self._set(KillState(False, None, "", now_ms), now_ms)
        return True

    def _set(self, state: KillState, now_ms: int, *, strict: bool = False) -> None:
        self.state = state
        if self.store is not None:
            try:
                self.store.put(_KEY, state.to_doc(), now_ms)
            except Exception:
                if strict:  # a person at a terminal must hear that it did not hold
                    raise
                # the engine's switch holds in memory even when storage is what failed
                _log.exception("kill switch: could not store its state", on=state.on)
        for fn in self.on_change:
            fn(state)

    def write(self, state: KillState, now_ms: int) -> None:
        """Set and persist ``state``, raising when the store refuses (``dexcex kill``)."""
        self._set(state, now_ms, strict=True)
