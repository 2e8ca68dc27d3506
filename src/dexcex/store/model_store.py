"""The model registry's rows: one per trained model, with its status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dexcex.store.models import ModelRow

__all__ = ["STATUSES", "ModelRecord", "ModelStore"]

STATUSES = ("candidate", "shadow", "active", "retired")


@dataclass(frozen=True)
class ModelRecord:
    id: str
    created_ms: int
    updated_ms: int
    status: str
    learner: str
    path: str
    sha256: str
    card: dict[str, Any]


def _rec(r: ModelRow) -> ModelRecord:
    return ModelRecord(
        r.id, r.created_ms, r.updated_ms, r.status, r.learner, r.path, r.sha256, dict(r.card)
    )


class ModelStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def add(self, rec: ModelRecord) -> None:
        with self._sessions.begin() as s:
            s.add(ModelRow(**rec.__dict__))

    def get(self, model_id: str) -> ModelRecord | None:
        with self._sessions() as s:
            row = s.get(ModelRow, model_id)
            return _rec(row) if row is not None else None

    def all(self) -> list[ModelRecord]:
        with self._sessions() as s:
            return [_rec(r) for r in s.scalars(select(ModelRow).order_by(ModelRow.created_ms))]

    def with_status(self, status: str) -> list[ModelRecord]:
        with self._sessions() as s:
            q = select(ModelRow).where(ModelRow.status == status).order_by(ModelRow.created_ms)
            return [_rec(r) for r in s.scalars(q)]

    def set_status(self, model_id: str, status: str, now_ms: int) -> ModelRecord | None:
        """``status`` for one model; making one active retires the one that was."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}: {', '.join(STATUSES)}")
        with self._sessions.begin() as s:
            row = s.get(ModelRow, model_id)
            if row is None:
                return None
            if status == "active":
                q = select(ModelRow).where(ModelRow.status == "active", ModelRow.id != model_id)
                for other in s.scalars(q):
                    other.status, other.updated_ms = "retired", now_ms
            row.status, row.updated_ms = status, now_ms
            return _rec(row)
