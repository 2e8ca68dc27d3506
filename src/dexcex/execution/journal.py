"""What execution and labeling write to the database, batched and in a safe order.

Signals first (a signal is stored before anything acts on it), then orders, fills and the
signals' execution columns, then outcomes. ``flush`` does one transaction per kind;
callers flush on a cadence (a second of wall time live, a few virtual minutes in paper
runs) and at the end.

Every write is idempotent, so a batch that failed half-way is simply written again: a row
stored already is a no-op, a later state of an order an update. A row that conflicts with
what is stored (another order under the same id) is counted, reported to ``on_conflict``
and set aside in ``rejected_rows``; the rest of the batch is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import msgspec

from dexcex.core import CoreOutput
from dexcex.domain import NotFound, OrderLeg, SignalStatus
from dexcex.execution.paper import Execution
from dexcex.labeling.labeler import OutcomeUpdate
from dexcex.store import Database
from dexcex.store.order_store import Put
from dexcex.store.signal_store import OutcomeWrite

__all__ = ["Journal"]


@dataclass
class Journal:
    db: Database
    signals: list[CoreOutput] = field(default_factory=list)
    executions: list[Execution] = field(default_factory=list)
    outcomes: list[OutcomeWrite] = field(default_factory=list)
    expired: list[tuple[str, str, int]] = field(default_factory=list)
    written_signals: int = 0
    written_orders: int = 0
    written_outcomes: int = 0
    conflicts: int = 0  # rows set aside: they contradicted a stored one
    on_conflict: Callable[[str], None] | None = None

    def add_signals(self, outs: list[CoreOutput]) -> None:
        self.signals.extend(outs)

    def not_traded(self, signal_id: str, reason: str, ts_ms: int) -> None:
        """An approved signal that was not traded: expired, with why."""
        self.expired.append((signal_id, reason, ts_ms))

    def add_execution(self, ex: Execution) -> None:
        self.executions.append(ex)

    def add_outcomes(self, ups: list[OutcomeUpdate]) -> None:
        for u in ups:
            if u.values or u.note:
                self.outcomes.append((u.signal_id, u.values, u.note))

    def detach(self) -> Journal:
        """What is buffered so far, as its own journal (to flush off the event loop while
        this one keeps collecting)."""
        out = Journal(self.db, self.signals, self.executions, self.outcomes, self.expired)
        out.on_conflict = self.on_conflict
        self.signals, self.executions, self.outcomes, self.expired = [], [], [], []
        return out

    def requeue(self, batch: Journal) -> None:
        """Put back what a failed flush of ``batch`` left unwritten, ahead of newer items."""
        self.signals[:0] = batch.signals
        self.executions[:0] = batch.executions
        self.outcomes[:0] = batch.outcomes
        self.expired[:0] = batch.expired

    def flush(self, now_ms: int) -> None:
        db = self.db
        if self.signals:
            self.written_signals += db.signals.add_decided(
                (o.signal, o.decision) for o in self.signals
            )
            self.signals.clear()
        for sid, reason, ts in self.expired:
            db.signals.set_status(sid, SignalStatus.EXPIRED, ts, f"not traded: {reason}")
        self.expired.clear()
        for ex in self.executions:
            put, why = db.orders.put(ex.order)
            if put is Put.CONFLICT:
                self._set_aside(ex, why, now_ms)
                continue
            for f in ex.fills:
                db.fills.add(f)  # once per (venue, trade id)
            o = ex.order
            if ex.leg is OrderLeg.ENTRY and o.filled_qty > 0:
                try:
                    self._record_entry(ex, now_ms)
                except NotFound as exc:  # would fail again on every retry: set aside
                    self._set_aside(ex, str(exc), now_ms)
            if put is not Put.SAME:
                self.written_orders += 1
        self.executions.clear()
        if self.outcomes:
            self.written_outcomes += db.signals.record_outcomes_many(self.outcomes, now_ms)
            self.outcomes.clear()

    def _record_entry(self, ex: Execution, now_ms: int) -> None:
        o = ex.order
        self.db.signals.record_execution(
            ex.signal_id,
            ts_ms=o.ts_updated or now_ms,
            order_client_id=o.client_order_id,
            fill_price=o.avg_price,
            filled_qty=o.filled_qty,
            fees_quote=o.fee_quote,
            realized_slippage_bps=ex.realized_slippage_bps,
            lat_dex_to_signal_ms=ex.dex_to_signal_ms,
            lat_signal_to_order_ms=(o.ts_sent or o.ts_created) - o.ts_created,
            lat_order_to_ack_ms=(o.ts_ack - o.ts_sent) if o.ts_ack and o.ts_sent else None,
        )

    def _set_aside(self, ex: Execution, why: str, now_ms: int) -> None:
        self.conflicts += 1
        payload = msgspec.to_builtins(ex)
        self.db.rejected.add("order", ex.order.client_order_id, why, payload, now_ms)
        if self.on_conflict is not None:
            self.on_conflict(why)
