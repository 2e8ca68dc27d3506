"""Engine state that outlives a restart: one JSON document per key (the kill switch)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dexcex.store.models import EngineStateRow

__all__ = ["StateStore"]


class StateStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def get(self, key: str) -> dict[str, Any] | None:
        with self._sessions() as s:
            row = s.get(EngineStateRow, key)
            return dict(row.value) if row is not None else None

    def put(self, key: str, value: dict[str, Any], ts_ms: int) -> None:
        with self._sessions.begin() as s:
            row = s.get(EngineStateRow, key)
            if row is None:
                s.add(EngineStateRow(key=key, value=value, updated_ms=ts_ms))
            else:
                row.value = value
                row.updated_ms = ts_ms

    def keys(self) -> list[str]:
        with self._sessions() as s:
            return list(s.scalars(select(EngineStateRow.key)))
