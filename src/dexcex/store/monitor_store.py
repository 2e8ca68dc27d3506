"""Health samples and alerts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from dexcex.domain import HealthState, SourceHealth, SourceKind
from dexcex.store.models import AlertRow, SourceHealthRow
from dexcex.store.partitions import Partitions

__all__ = ["Alert", "AlertStore", "HealthStore"]


class Alert(msgspec.Struct, frozen=True):
    """One raised alert. ``dedup_key`` identifies 'the same problem' across repeats."""

    ts: int
    rule: str
    severity: str
    message: str
    dedup_key: str
    source: str | None = None
    cleared_ts: int | None = None
    id: int | None = None


class HealthStore:
    def __init__(self, sessions: sessionmaker[Session], partitions: Partitions) -> None:
        self._sessions = sessions
        self._partitions = partitions

    def add(self, samples: Iterable[SourceHealth]) -> int:
        samples_list = list(samples)
        rows = [
            {
                "ts_ms": h.ts,
                "source": h.source,
                "kind": h.kind.value,
                "state": h.state.value,
                "connected": h.connected,
                "active": h.active,
                "last_msg_age_ms": h.last_msg_age_ms,
                "msg_rate": h.msg_rate,
                "errors": h.errors,
                "rate_limited": h.rate_limited,
                "reconnects": h.reconnects,
                "rejected": h.rejected,
                "latency_p50_ms": h.latency_p50_ms,
                "latency_p99_ms": h.latency_p99_ms,
                "detail": h.detail,
            }
            for h in samples_list
        ]
        if rows:
            self._partitions.ensure("source_health", (h.ts for h in samples_list))
            with self._sessions.begin() as session:
                session.execute(insert(SourceHealthRow), rows)
        return len(rows)

    def latest_per_source(self) -> list[SourceHealth]:
        newest = (
            select(SourceHealthRow.source, func.max(SourceHealthRow.ts_ms).label("ts"))
            .group_by(SourceHealthRow.source)
            .subquery()
        )
        stmt = (
            select(SourceHealthRow)
            .join(
                newest,
                (SourceHealthRow.source == newest.c.source)
                & (SourceHealthRow.ts_ms == newest.c.ts),
            )
            .order_by(SourceHealthRow.source, SourceHealthRow.id.desc())
        )
        out: dict[str, SourceHealth] = {}
        with self._sessions() as session:
            for r in session.scalars(stmt):
                out.setdefault(r.source, _to_health(r))
        return list(out.values())


def _to_health(r: SourceHealthRow) -> SourceHealth:
    return SourceHealth(
        source=r.source,
        kind=SourceKind(r.kind),
        state=HealthState(r.state),
        connected=r.connected,
        ts=r.ts_ms,
        last_msg_age_ms=r.last_msg_age_ms,
        msg_rate=r.msg_rate,
        errors=r.errors,
        rate_limited=r.rate_limited,
        reconnects=r.reconnects,
        rejected=r.rejected,
        latency_p50_ms=r.latency_p50_ms,
        latency_p99_ms=r.latency_p99_ms,
        active=r.active,
        detail=r.detail,
    )


def _to_alert(r: AlertRow) -> Alert:
    return Alert(
        id=r.id,
        ts=r.ts_ms,
        rule=r.rule,
        severity=r.severity,
        message=r.message,
        dedup_key=r.dedup_key,
        source=r.source,
        cleared_ts=r.cleared_ms,
    )


class AlertStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def add(self, alert: Alert) -> int:
        with self._sessions.begin() as session:
            row = AlertRow(
                ts_ms=alert.ts,
                rule=alert.rule,
                severity=alert.severity,
                source=alert.source,
                message=alert.message,
                dedup_key=alert.dedup_key,
                cleared_ms=alert.cleared_ts,
            )
            session.add(row)
            session.flush()
            return int(row.id)

    def clear(self, dedup_key: str, ts_ms: int) -> int:
        """Mark every open alert with this key cleared; returns how many."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(AlertRow)
                .where(AlertRow.dedup_key == dedup_key, AlertRow.cleared_ms.is_(None))
                .values(cleared_ms=ts_ms)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    def recent(self, limit: int = 50) -> list[Alert]:
        stmt = select(AlertRow).order_by(AlertRow.ts_ms.desc(), AlertRow.id.desc()).limit(limit)
        with self._sessions() as session:
            return [_to_alert(r) for r in session.scalars(stmt)]

    def open_alerts(self) -> list[dict[str, Any]]:
        stmt = select(AlertRow).where(AlertRow.cleared_ms.is_(None)).order_by(AlertRow.ts_ms)
        with self._sessions() as session:
            return [msgspec.structs.asdict(_to_alert(r)) for r in session.scalars(stmt)]
