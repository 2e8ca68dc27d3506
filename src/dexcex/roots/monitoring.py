"""Alerts from what the engine delivers: the kill switch and risk limits that refused a
signal."""

from __future__ import annotations

import asyncio

from dexcex.core import CoreOutput
from dexcex.domain import RiskReason
from dexcex.monitor.alerts import AlertEvent, AlertService

__all__ = ["risk_alerts", "spawn_alerts"]

_LIMITS = frozenset({RiskReason.EXPOSURE, RiskReason.ASSET_EXPOSURE, RiskReason.DAILY_LOSS})
_background: set[asyncio.Task[None]] = set()


def spawn_alerts(alerts: AlertService, events: list[AlertEvent]) -> None:
    """Deliver alert events without making the caller (the engine's step) wait."""
    if not events:
        return
    task = asyncio.get_running_loop().create_task(alerts.deliver(events))
    _background.add(task)
    task.add_done_callback(_background.discard)


def risk_alerts(alerts: AlertService, outs: list[CoreOutput]) -> None:
    events: list[AlertEvent] = []
    for out in outs:
        d = out.decision
        if RiskReason.KILL_SWITCH in d.codes:
            events += alerts.engine.kill_switch(True)
        if d.approved:
            continue
        limit = next((r for c, r in zip(d.codes, d.reasons, strict=False) if c in _LIMITS), None)
        if limit is not None:
            events += alerts.engine.risk_limit(out.signal.asset_id, limit)
    spawn_alerts(alerts, events)
