"""What every page reads from the database — the same for an engine's own page and for
a separate ``--role api`` process reading the shared store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dexcex.api.schemas import (
    AlertOut,
    HistoryOut,
    OrderOut,
    PerformanceOut,
    SignalDetail,
    SignalPage,
)
from dexcex.api.views import (
    SIGNAL_OUT_COLUMNS,
    order_out,
    signal_detail_from_row,
    signal_from_row,
)
from dexcex.config import Settings
from dexcex.domain import SignalStatus, TradingMode
from dexcex.store import Database

__all__ = ["StoredReads"]


@dataclass
class StoredReads:
    """What every page reads from the database."""

    settings: Settings
    db: Database

    @property
    def mode(self) -> TradingMode:
        return TradingMode.LIVE if self.settings.live.enabled else TradingMode.PAPER

    def signals(
        self,
        limit: int,
        before: tuple[int, str] | None,
        asset: str | None,
        status: SignalStatus | None,
    ) -> SignalPage:
        rows = self.db.signals.latest(
            limit, before=before, asset_id=asset, status=status, columns=SIGNAL_OUT_COLUMNS
        )
        items = [signal_from_row(r) for r in rows]
        nxt = f"{rows[-1]['created_ms']}:{rows[-1]['id']}" if len(rows) == limit else None
        return SignalPage(items=items, next_before=nxt)

    def signal(self, signal_id: str) -> SignalDetail | None:
        row = self.db.signals.get(signal_id)
        weights = self.settings.core.signals.weights
        return signal_detail_from_row(row, weights) if row is not None else None

    def history(self, limit: int) -> HistoryOut:
        from dexcex.api.history import history

        return history(self.db, self.mode, self.settings.execution, limit)

    def orders(self, limit: int) -> list[OrderOut]:
        return [order_out(o) for o in self.db.orders.recent(limit)]

    def alerts(self, limit: int) -> list[AlertOut]:
        return [
            AlertOut(
                ts=a.ts,
                rule=a.rule,
                severity=a.severity,
                message=a.message,
                source=a.source,
                cleared_ts=a.cleared_ts,
            )
            for a in self.db.alerts.recent(limit)
        ]

    def performance(self) -> PerformanceOut:
        from dexcex.execution.report import performance, summary

        return PerformanceOut.model_validate(
            {"mode": self.mode.value, "by_origin": summary(performance(self.db, self.mode))}
        )

    def snapshot_stored(self) -> dict[str, Any]:
        """The database part of a page's snapshot (read off the event loop)."""
        rows = self.db.signals.latest(50, columns=SIGNAL_OUT_COLUMNS)
        return {
            "signals": [signal_from_row(r).model_dump() for r in rows],
            "orders": [order_out(o).model_dump() for o in self.db.orders.recent(20)],
            "alerts": [a.model_dump() for a in self.alerts(20)],
        }
