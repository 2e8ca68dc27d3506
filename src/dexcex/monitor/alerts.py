"""Alerts: rules over health and events, de-duplicated, rate-limited, delivered once.

Rules (``AlertSettings`` holds the thresholds):

* ``connection`` — a source or venue down for ``down_after_s`` (error); clears when ok;
* ``stale_feed`` — a stream with no message for ``stale_after_s`` while connected
  (warning); clears when messages flow;
* ``rate_limited`` — ``rate_limit_count`` 429 answers within ``window_s`` (warning);
* ``error_burst`` — ``error_burst_count`` errors within ``window_s`` (warning);
* ``failover`` — orders and data moved to the other venue (warning, an event);
* ``risk_limit`` — a signal refused by an exposure or daily-loss limit (warning);
* ``kill_switch`` — trading stopped by the kill switch (critical);
* ``model_drift`` — automatic trading paused: the active model's inputs drifted from
  its training data, or its rolling Brier score worsened (critical); clears on resume;
* ``data_accuracy`` — a source's prices disagree with the others too often: excluded
  from signal generation (warning); clears when it agrees again.

An alert is identified by its key (rule + source). While it is open it is not raised
again; once cleared it may be raised again, but not sooner than ``repeat_after_s`` after
the last time. ``AlertEngine`` is pure (health and events in, ``AlertEvent`` out);
``AlertService`` runs it each second and delivers every event once: to the log, the
``alerts`` table, the page, and the webhook if one is configured (generic JSON, Slack or
Telegram format), retrying a failed webhook delivery with the same payload.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from dexcex.aio import cancel_all
from dexcex.config.models import AlertSettings
from dexcex.domain import Clock, FailoverEvent, HealthState, SourceHealth
from dexcex.logs import get_logger
from dexcex.store import Database
from dexcex.store.monitor_store import Alert

__all__ = ["AlertEngine", "AlertEvent", "AlertService", "webhook_payload"]

_log = get_logger("dexcex.alerts")


@dataclass(frozen=True)
class AlertEvent:
    alert: Alert
    status: Literal["firing", "resolved"]
    ts: int

    @property
    def id(self) -> str:
        return f"{self.alert.dedup_key}@{self.alert.ts}:{self.status}"


@dataclass
class _Counter:
    seen: deque[tuple[int, int]] = field(default_factory=deque)  # (ts, running total)


class AlertEngine:
    def __init__(self, p: AlertSettings, clock: Clock) -> None:
        self.p = p
        self.clock = clock
        self.open: dict[str, Alert] = {}
        self._bad_since: dict[str, int] = {}
        self._last_raised: dict[str, int] = {}
        self._totals: dict[str, _Counter] = {}

    # --- rules over health ---------------------------------------------------------------------

    def evaluate(self, health: list[SourceHealth]) -> list[AlertEvent]:
        now = self.clock.now_ms()
        out: list[AlertEvent] = []
        # A connection (``mexc``) and its streams (``mexc:book:WIF/USDT``): one alert for a
        # venue that is down, not one per stream; a single stale stream is its own alert.
        down = {h.source for h in health if ":" not in h.source and h.state is HealthState.DOWN}
        for h in health:
            stream = ":" in h.source
            if stream and h.source.split(":", 1)[0] in down:
                continue
            if not stream:
                self._condition(
                    out,
                    now,
                    "connection",
                    h.source,
                    h.state is HealthState.DOWN,
                    self.p.down_after_s,
                    "error",
                    f"{h.source} is down" + (f": {h.detail}" if h.detail else ""),
                )
            self._condition(
                out,
                now,
                "stale_feed",
                h.source,
                h.state is HealthState.STALE,
                self.p.stale_after_s,
                "warning",
                f"{h.source} has sent nothing for {(h.last_msg_age_ms or 0) / 1000:.0f} s",
            )
            if not stream:
                self._burst(
                    out, now, "rate_limited", h.source, h.rate_limited, self.p.rate_limit_count
                )
                self._burst(out, now, "error_burst", h.source, h.errors, self.p.error_burst_count)
        return out

    def _condition(
        self,
        out: list[AlertEvent],
        now: int,
        rule: str,
        source: str,
        bad: bool,
        after_s: float,
        severity: str,
        message: str,
    ) -> None:
        key = f"{rule}:{source}"
        if not bad:
            self._bad_since.pop(key, None)
            if key in self.open:
                out.append(self._clear(key, now))
            return
        since = self._bad_since.setdefault(key, now)
        if now - since >= after_s * 1000 and key not in self.open:
            ev = self._raise(key, rule, severity, source, message, now)
            if ev is not None:
                out.append(ev)

    def _burst(
        self, out: list[AlertEvent], now: int, rule: str, source: str, total: int, count: int
    ) -> None:
        key = f"{rule}:{source}"
        c = self._totals.setdefault(key, _Counter())
        c.seen.append((now, total))
        cutoff = now - int(self.p.window_s * 1000)
        while len(c.seen) > 1 and c.seen[0][0] < cutoff:
            c.seen.popleft()
        grew = total - c.seen[0][1]
        if grew >= count and key not in self.open:
            what = "rate-limit answers (429)" if rule == "rate_limited" else "errors"
            ev = self._raise(
                key,
                rule,
                "warning",
                source,
                f"{source}: {grew} {what} in {self.p.window_s:.0f} s",
                now,
            )
            if ev is not None:
                out.append(ev)
        elif grew == 0 and key in self.open:
            out.append(self._clear(key, now))

    # --- events --------------------------------------------------------------------------------

    def failover(self, ev: FailoverEvent) -> list[AlertEvent]:
        key = f"failover:{ev.from_venue}->{ev.to_venue}"
        msg = f"orders and market data moved from {ev.from_venue} to {ev.to_venue}: {ev.reason}"
        raised = self._raise(key, "failover", "warning", ev.from_venue.value, msg, ev.ts)
        if raised is None:
            return []
        return [raised, self._clear(key, ev.ts)]  # an event: it does not stay open

    def risk_limit(self, asset_id: str, reason: str) -> list[AlertEvent]:
        now = self.clock.now_ms()
        key = f"risk_limit:{asset_id}"
        raised = self._raise(key, "risk_limit", "warning", asset_id, f"risk limit: {reason}", now)
        return [] if raised is None else [raised, self._clear(key, now)]

    def accuracy(self, source: str, excluded: bool, share: float) -> list[AlertEvent]:
        now = self.clock.now_ms()
        key = f"data_accuracy:{source}"
        if excluded and key not in self.open:
            ev = self._raise(
                key,
                "data_accuracy",
                "warning",
                source,
                f"{source} agrees with the other sources in only {share:.0%} of samples: "
                "excluded from signal generation until it recovers",
                now,
            )
            return [] if ev is None else [ev]
        if not excluded and key in self.open:
            return [self._clear(key, now)]
        return []

    def kill_switch(self, on: bool) -> list[AlertEvent]:
        now = self.clock.now_ms()
        key = "kill_switch:trading"
        if on and key not in self.open:
            ev = self._raise(
                key, "kill_switch", "critical", None, "kill switch on: no new orders", now
            )
            return [] if ev is None else [ev]
        if not on and key in self.open:
            return [self._clear(key, now)]
        return []

    def model_drift(self, on: bool, message: str) -> list[AlertEvent]:
        """Automatic trading paused by the drift of the active model (models.guard)."""
        now = self.clock.now_ms()
        key = "model_drift:auto"
        if on and key not in self.open:
            ev = self._raise(key, "model_drift", "critical", None, message, now)
            return [] if ev is None else [ev]
        if not on and key in self.open:
            return [self._clear(key, now)]
        return []

    # --- bookkeeping ---------------------------------------------------------------------------

    def _raise(
        self, key: str, rule: str, severity: str, source: str | None, message: str, now: int
    ) -> AlertEvent | None:
        last = self._last_raised.get(key)
        if last is not None and now - last < self.p.repeat_after_s * 1000:
            return None  # rate limit: the same problem again so soon is not news
        self._last_raised[key] = now
        alert = Alert(now, rule, severity, message, key, source)
        self.open[key] = alert
        return AlertEvent(alert, "firing", now)

    def _clear(self, key: str, now: int) -> AlertEvent:
        alert = self.open.pop(key)
        return AlertEvent(
            Alert(alert.ts, alert.rule, alert.severity, alert.message, key, alert.source, now),
            "resolved",
            now,
        )


def webhook_payload(ev: AlertEvent, fmt: str, chat_id: str | None = None) -> dict[str, Any]:
    a = ev.alert
    icon = {"firing": "🔴" if a.severity != "warning" else "🟠", "resolved": "🟢"}[ev.status]
    text = f"{icon} dexcex {a.rule} {ev.status}: {a.message}"
    if fmt == "slack":
        return {"text": text}
    if fmt == "telegram":
        return {"chat_id": chat_id, "text": text, "disable_web_page_preview": True}
    return {
        "id": ev.id,
        "status": ev.status,
        "rule": a.rule,
        "severity": a.severity,
        "source": a.source,
        "message": a.message,
        "raised_ms": a.ts,
        "resolved_ms": a.cleared_ts,
        "ts": ev.ts,
    }


class AlertService:
    """Runs the rules each second over a pipeline's health; delivers each event once."""

    def __init__(
        self,
        p: AlertSettings,
        clock: Clock,
        health: Callable[[], list[SourceHealth]],
        *,
        db: Database | None = None,
        publish: Callable[[str, Any], None] | None = None,
    ) -> None:
        self.p = p
        self.engine = AlertEngine(p, clock)
        self.health = health
        self.db = db
        self.publish = publish
        self.delivered: list[AlertEvent] = []
        self._webhook: asyncio.Queue[AlertEvent] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._failovers: list[FailoverEvent] | None = None
        self._seen_failovers = 0

    @property
    def open(self) -> dict[str, Alert]:
        return self.engine.open

    def watch_failovers(self, events: list[FailoverEvent]) -> None:
        self._failovers = events

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._loop(), name="alerts")]
        if self.p.webhook_url is not None:
            self._tasks.append(asyncio.create_task(self._send_webhooks(), name="alert-webhook"))

    async def stop(self) -> None:
        await cancel_all(self._tasks)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            events = self.engine.evaluate(self.health())
            if self._failovers is not None:
                for fe in self._failovers[self._seen_failovers :]:
                    events += self.engine.failover(fe)
                self._seen_failovers = len(self._failovers)
            await self.deliver(events)

    async def deliver(self, events: list[AlertEvent]) -> None:
        for ev in events:
            a = ev.alert
            log = _log.warning if ev.status == "firing" else _log.info
            log(f"alert {ev.status}", rule=a.rule, source=a.source, message=a.message)
            if self.db is not None:
                try:
                    if ev.status == "firing":
                        await asyncio.to_thread(self.db.alerts.add, a)
                    else:
                        await asyncio.to_thread(self.db.alerts.clear, a.dedup_key, ev.ts)
                except Exception:
                    _log.exception("could not store an alert")
            if self.publish is not None:
                self.publish(
                    "alert",
                    {
                        "ts": ev.ts,
                        "rule": a.rule,
                        "severity": a.severity,
                        "source": a.source,
                        "status": ev.status,
                        "message": a.message,
                    },
                )
            if self.p.webhook_url is not None:
                self._webhook.put_nowait(ev)
            self.delivered.append(ev)
            if len(self.delivered) > 1000:
                del self.delivered[:500]

    async def _send_webhooks(self) -> None:
        assert self.p.webhook_url is not None
        url = self.p.webhook_url.get_secret_value()
        async with httpx.AsyncClient(timeout=self.p.webhook_timeout_s) as http:
            while True:
                ev = await self._webhook.get()
                body = webhook_payload(ev, self.p.webhook_format, self.p.telegram_chat_id)
                delay = 1.0
                while True:  # the same payload until it is taken: delivered once
                    try:
                        r = await http.post(url, json=body, headers={"Idempotency-Key": ev.id})
                        if r.status_code < 500 and r.status_code != 429:
                            if r.status_code >= 400:
                                _log.error("webhook refused an alert", status=r.status_code)
                            break
                    except httpx.HTTPError as exc:
                        _log.warning("webhook unreachable", error=type(exc).__name__)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 60.0)
