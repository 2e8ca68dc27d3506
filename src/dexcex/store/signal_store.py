"""Signals: written once when they fire, then updated by risk, execution and labeling."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, func, insert, select, tuple_, update
from sqlalchemy.orm import Session, sessionmaker

from dexcex.domain import NotFound, RiskDecision, Signal, SignalStatus
from dexcex.store.models import HORIZONS, SignalRow
from dexcex.store.partitions import Partitions

__all__ = ["OUTCOME_COLUMNS", "SignalStore", "risk_values", "signal_to_row"]

OUTCOME_COLUMNS = tuple(
    f"{kind}_{h}_bps" for kind in ("ret", "net", "mfe", "mae") for h in HORIZONS
) + tuple(f"label_{h}" for h in HORIZONS)
# (signal id, outcome columns, note): what the labeler writes back
OutcomeWrite = tuple[str, Mapping[str, float | bool | None], str | None]
_SIGNAL_COLUMNS = frozenset(c.name for c in SignalRow.__table__.columns)
# Inserts and the id check go through the table, not the ORM: its bulk-insert bookkeeping
# was half the cost of storing a signal, and every batch the engine stores waits on it.
_SIGNALS = cast(Table, SignalRow.__table__)


def signal_to_row(s: Signal) -> dict[str, Any]:
    """Column values of a new signal row (risk, execution and outcomes start empty)."""
    d, c = s.dex, s.cex
    return {
        "id": s.id,
        "created_ms": s.ts,
        "updated_ms": s.ts,
        "asset_id": s.asset_id,
        "venue": s.venue.value,
        "symbol": s.symbol,
        "origin": s.origin,
        "direction": s.direction.value,
        "confidence": s.confidence,
        "priority": s.priority,
        "expected_move_bps": s.expected_move_bps,
        "status": s.status.value,
        "status_reason": s.status_reason,
        "executable": s.executable,
        "expires_ms": s.expires_ts,
        "wall_ms": s.ts_wall,
        "trigger_event_ms": s.trigger_ts_event,
        "trigger_recv_ms": s.trigger_ts_recv,
        "dex_chain": d.chain.value if d.chain else None,
        "dex_pool": d.pool,
        "dex_price_usd": d.dex_price_usd,
        "imbalance": d.imbalance,
        "buy_volume_usd": d.buy_volume_usd,
        "sell_volume_usd": d.sell_volume_usd,
        "window_s": d.window_s,
        "liq_velocity": d.liquidity_velocity,
        "liq_acceleration": d.liquidity_acceleration,
        "vp_score": d.volume_price_score,
        "score_orderflow": d.scores.get("orderflow"),
        "score_liquidity": d.scores.get("liquidity"),
        "score_volume_price": d.scores.get("volume_price"),
        "cex_bid": c.bid if c else None,
        "cex_ask": c.ask if c else None,
        "cex_mid": c.mid if c else None,
        "cex_spread_bps": c.spread_bps if c else None,
        "cex_depth_bid_1pct": c.depth_bid_1pct if c else None,
        "cex_depth_ask_1pct": c.depth_ask_1pct if c else None,
        "cex_book_ms": c.book_ts if c else None,
        "features": dict(s.features),
        "model_scores": dict(s.model_scores) or None,
    }


def risk_values(decision: RiskDecision, status: SignalStatus) -> dict[str, Any]:
    """Column values of a risk verdict for a signal currently in ``status``."""
    values: dict[str, Any] = {
        "risk_decision": "approved" if decision.approved else "rejected",
        "risk_size_base": decision.size_base,
        "risk_notional_quote": decision.notional_quote,
        "risk_slippage_bps": decision.est_slippage_bps,
        "risk_regime": decision.regime.value,
        "risk_reasons": list(decision.reasons),
        "updated_ms": decision.ts,
    }
    if not decision.approved and status is SignalStatus.NEW:
        values["status"] = SignalStatus.REJECTED_BY_RISK.value
        values["status_reason"] = "; ".join(decision.reasons)
    return values


def _as_dict(row: SignalRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in _SIGNAL_COLUMNS}


class SignalStore:
    """Repository of signals. Reads return plain dicts keyed by column name."""

    def __init__(self, sessions: sessionmaker[Session], partitions: Partitions) -> None:
        self._sessions = sessions
        self._partitions = partitions

    def add(self, signal: Signal) -> None:
        """Persist a new signal. Must happen before it is shown or executed."""
        self.add_many([signal])

    def add_many(self, signals: Iterable[Signal]) -> int:
        rows = [signal_to_row(s) for s in signals]
        if not rows:
            return 0
        self._partitions.ensure("signals", (r["created_ms"] for r in rows))
        with self._sessions.begin() as session:
            session.execute(insert(_SIGNALS), rows)
        return len(rows)

    def get(self, signal_id: str) -> dict[str, Any] | None:
        with self._sessions() as session:
            row = session.get(SignalRow, signal_id)
            return _as_dict(row) if row else None

    def latest(
        self,
        limit: int = 200,
        *,
        before: tuple[int, str] | None = None,
        asset_id: str | None = None,
        status: SignalStatus | None = None,
        columns: Iterable[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Newest first. ``before`` = (created_ms, id) of the last row of the previous page."""
        with self._sessions() as session:
            stmt = self.latest_query(limit, before=before, asset_id=asset_id, status=status)
            if columns is not None:
                wanted = [c for c in columns if c in _SIGNAL_COLUMNS]
                stmt = stmt.with_only_columns(*(SignalRow.__table__.c[c] for c in wanted))
                return [dict(r._mapping) for r in session.execute(stmt)]
            return [_as_dict(r) for r in session.scalars(stmt)]

    def iter_range(
        self, since_ms: int | None = None, until_ms: int | None = None, batch: int = 5000
    ) -> Iterator[dict[str, Any]]:
        """Every signal created in [since, until), oldest first, fetched in keyset pages."""
        after: tuple[int, str] | None = None
        while True:
            with self._sessions() as session:
                stmt = select(SignalRow)
                if since_ms is not None:
                    stmt = stmt.where(SignalRow.created_ms >= since_ms)
                if until_ms is not None:
                    stmt = stmt.where(SignalRow.created_ms < until_ms)
                if after is not None:
                    stmt = stmt.where(
                        tuple_(SignalRow.created_ms, SignalRow.id) > tuple_(after[0], after[1])
                    )
                stmt = stmt.order_by(SignalRow.created_ms, SignalRow.id).limit(batch)
                rows = [_as_dict(r) for r in session.scalars(stmt)]
            yield from rows
            if len(rows) < batch:
                return
            after = (rows[-1]["created_ms"], rows[-1]["id"])

    @staticmethod
    def latest_query(
        limit: int,
        *,
        before: tuple[int, str] | None = None,
        asset_id: str | None = None,
        status: SignalStatus | None = None,
    ) -> Select[SignalRow]:
        stmt = select(SignalRow)
        if asset_id is not None:
            stmt = stmt.where(SignalRow.asset_id == asset_id)
        if status is not None:
            stmt = stmt.where(SignalRow.status == status.value)
        if before is not None:
            ts, sid = before
            # A row-value comparison, so both databases can seek the (created_ms, id) index.
            stmt = stmt.where(tuple_(SignalRow.created_ms, SignalRow.id) < tuple_(ts, sid))
        return stmt.order_by(SignalRow.created_ms.desc(), SignalRow.id.desc()).limit(limit)

    def count_between(self, start_ms: int, end_ms: int) -> int:
        """Signals created in [start_ms, end_ms)."""
        stmt = select(func.count()).select_from(SignalRow)
        stmt = stmt.where(SignalRow.created_ms >= start_ms, SignalRow.created_ms < end_ms)
        with self._sessions() as session:
            return int(session.scalar(stmt) or 0)

    def count(self, *, status: SignalStatus | None = None) -> int:
        stmt = select(func.count()).select_from(SignalRow)
        if status is not None:
            stmt = stmt.where(SignalRow.status == status.value)
        with self._sessions() as session:
            return int(session.scalar(stmt) or 0)

    def _update(self, signal_id: str, values: Mapping[str, Any]) -> None:
        unknown = set(values) - _SIGNAL_COLUMNS
        if unknown:
            raise ValueError(f"unknown signal columns: {sorted(unknown)}")
        with self._sessions.begin() as session:
            result = session.execute(
                update(SignalRow).where(SignalRow.id == signal_id).values(**values)
            )
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound(f"signal {signal_id} not found")

    def set_status(
        self, signal_id: str, status: SignalStatus, ts_ms: int, reason: str | None = None
    ) -> None:
        self._update(
            signal_id, {"status": status.value, "status_reason": reason, "updated_ms": ts_ms}
        )

    def record_risk(self, decision: RiskDecision) -> None:
        """Store the risk verdict; a rejection also moves the signal to rejected_by_risk."""
        self._update(decision.signal_id, risk_values(decision, SignalStatus.NEW))

    def add_decided(self, pairs: Iterable[tuple[Signal, RiskDecision]]) -> int:
        """Persist new signals with their risk verdicts, in one transaction (what the
        pipeline does before anything is shown or executed). A filtered signal keeps its
        status and reason; a new one the risk layer rejected becomes rejected_by_risk."""
        return len(self.add_decided_new(pairs))

    def add_decided_new(self, pairs: Iterable[tuple[Signal, RiskDecision]]) -> set[str]:
        """``add_decided`` for signals not stored yet; returns the ids it stored. Signal
        ids are derived from the data, so an engine that reprocesses events after a
        restart finds the same ids — and stores (and shows) nothing twice."""
        rows = [{**signal_to_row(s), **risk_values(d, s.status)} for s, d in pairs]
        if not rows:
            return set()
        ids = [r["id"] for r in rows]
        self._partitions.ensure("signals", (r["created_ms"] for r in rows))
        with self._sessions.begin() as session:
            known = set(session.scalars(select(_SIGNALS.c.id).where(_SIGNALS.c.id.in_(ids))))
            fresh, seen = [], set(known)
            for r in rows:
                if r["id"] not in seen:
                    seen.add(r["id"])
                    fresh.append(r)
            if fresh:
                session.execute(insert(_SIGNALS), fresh)
        return {r["id"] for r in fresh}

    def record_execution(
        self,
        signal_id: str,
        *,
        ts_ms: int,
        order_client_id: str,
        fill_price: Decimal | None,
        filled_qty: Decimal | None,
        fees_quote: Decimal | None,
        realized_slippage_bps: float | None,
        lat_dex_to_signal_ms: int | None,
        lat_signal_to_order_ms: int | None,
        lat_order_to_ack_ms: int | None,
    ) -> None:
        self._update(
            signal_id,
            {
                "status": SignalStatus.EXECUTED.value,
                "order_client_id": order_client_id,
                "fill_price": fill_price,
                "filled_qty": filled_qty,
                "fees_quote": fees_quote,
                "realized_slippage_bps": realized_slippage_bps,
                "lat_dex_to_signal_ms": lat_dex_to_signal_ms,
                "lat_signal_to_order_ms": lat_signal_to_order_ms,
                "lat_order_to_ack_ms": lat_order_to_ack_ms,
                "updated_ms": ts_ms,
            },
        )

    def record_outcomes_many(
        self,
        updates: Iterable[tuple[str, Mapping[str, float | bool | None], str | None]],
        ts_ms: int,
    ) -> int:
        """Several signals' outcome columns in one transaction: (signal id, columns, note).

        The same as one UPDATE per entry, in order (a later entry's column wins), but
        sent as one executemany per set of columns: a labelled hour is thousands of
        entries, and one statement each cost ~1.4 ms on SQLite."""
        n = 0
        merged: dict[str, dict[str, Any]] = {}
        for signal_id, outcomes, note in updates:
            bad = set(outcomes) - set(OUTCOME_COLUMNS)
            if bad:
                raise ValueError(f"not outcome columns: {sorted(bad)}")
            values = merged.setdefault(signal_id, {})
            values.update(outcomes)
            if note is not None:
                values["outcome_note"] = note
            n += 1
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for signal_id, values in merged.items():
            cols = tuple(sorted(values))
            row = {f"v_{c}": values[c] for c in cols}
            row["v_id"] = signal_id
            by_columns.setdefault(cols, []).append(row)
        table = cast(Table, SignalRow.__table__)
        with self._sessions.begin() as session:
            for cols, rows in by_columns.items():
                stmt = (
                    update(table)
                    .where(table.c.id == bindparam("v_id"))
                    .values({**{c: bindparam(f"v_{c}") for c in cols}, "updated_ms": ts_ms})
                )
                session.connection().execute(stmt, rows)
        return n

    def record_outcomes(
        self,
        signal_id: str,
        outcomes: Mapping[str, float | bool | None],
        ts_ms: int,
        note: str | None = None,
    ) -> None:
        """Write outcome columns (``ret_5m_bps``, ``label_5m`` …) as horizons elapse."""
        bad = set(outcomes) - set(OUTCOME_COLUMNS)
        if bad:
            raise ValueError(f"not outcome columns: {sorted(bad)}")
        values: dict[str, Any] = dict(outcomes)
        values["updated_ms"] = ts_ms
        if note is not None:
            values["outcome_note"] = note
        self._update(signal_id, values)
