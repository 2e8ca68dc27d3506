"""Writes set aside: rows that conflicted with what was stored, kept whole for a person
(``rejected_rows``) instead of blocking the rest of their batch."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from dexcex.store.models import RejectedRow

__all__ = ["RejectedStore"]


class RejectedStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def add(self, kind: str, key: str, reason: str, payload: dict[str, Any], ts_ms: int) -> None:
        row = {"created_ms": ts_ms, "kind": kind, "key": key, "reason": reason}
        with self._sessions.begin() as session:
            session.execute(insert(RejectedRow), [{**row, "payload": payload}])

    def recent(self, limit: int = 100) -> list[dict[str, Any]]:
        stmt = select(RejectedRow).order_by(RejectedRow.id.desc()).limit(limit)
        with self._sessions() as session:
            return [
                {
                    "created_ms": r.created_ms,
                    "kind": r.kind,
                    "key": r.key,
                    "reason": r.reason,
                    "payload": dict(r.payload),
                }
                for r in session.scalars(stmt)
            ]
