"""MEXC primary, Bybit backup: pick the venue orders and CEX data come from.

A venue is unhealthy when its streams are down or stale, when most of its recent
requests failed, or when its typical REST round trip is too slow. The router switches
to the backup once the primary has been unhealthy for ``unhealthy_after_s`` (and the
backup is healthy), and back only after the primary has been healthy again for the
longer ``healthy_after_s`` — hysteresis, so a flickering venue does not flip orders
back and forth. Each switch is a ``FailoverEvent``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from decimal import Decimal

import msgspec

from dexcex.domain import (
    Clock,
    FailoverEvent,
    HealthState,
    Order,
    OrderType,
    RetryLater,
    Side,
    VenueId,
)
from dexcex.venues.ccxt_venue import CcxtVenue

__all__ = ["FailoverPolicy", "VenueRouter"]


class FailoverPolicy(msgspec.Struct, frozen=True):
    unhealthy_after_s: float = 3.0
    healthy_after_s: float = 15.0
    error_window_s: float = 30.0
    max_error_rate: float = 0.5
    min_requests: int = 3
    max_rest_p50_ms: float = 2000.0
    # A venue that has never delivered data is starting, not failing, for this long.
    startup_grace_s: float = 30.0


class _Health:
    __slots__ = ("bad_since", "good_since", "outcomes")

    def __init__(self) -> None:
        self.bad_since: int | None = None
        self.good_since: int | None = None
        self.outcomes: deque[tuple[int, bool]] = deque(maxlen=500)


class VenueRouter:
    def __init__(
        self,
        venues: dict[VenueId, CcxtVenue],
        primary: VenueId,
        clock: Clock,
        policy: FailoverPolicy | None = None,
        on_switch: Callable[[FailoverEvent], None] | None = None,
    ) -> None:
        if primary not in venues or len(venues) != 2:
            raise ValueError("the router needs exactly two venues, one of them the primary")
        self.venues = venues
        self.primary = primary
        self.backup = next(v for v in venues if v is not primary)
        self.active = primary
        self.clock = clock
        self.policy = policy or FailoverPolicy()
        self.on_switch = on_switch
        self.events: list[FailoverEvent] = []
        self._health = {v: _Health() for v in venues}
        self._started_ms = clock.now_ms()
        for vid, venue in venues.items():
            venue.tracker.active = vid is self.active

    # --- health ----------------------------------------------------------------------------

    def record(self, venue: VenueId, ok: bool) -> None:
        """The outcome of one routed request (what the error rate is made of)."""
        self._health[venue].outcomes.append((self.clock.now_ms(), ok))

    def problem(self, venue: VenueId) -> str | None:
        """Why ``venue`` is unhealthy right now, or None."""
        tracker = self.venues[venue].tracker
        grace_ms = int(self.policy.startup_grace_s * 1000)
        if tracker.messages == 0 and self.clock.now_ms() - self._started_ms < grace_ms:
            return None  # still starting: not yet known to be bad
        state = tracker.state()
        if state in (HealthState.DOWN, HealthState.STALE):
            return f"{venue} {state.value}" + (
                f": {tracker.down_reason}" if tracker.down_reason else ""
            )
        now = self.clock.now_ms()
        cutoff = now - int(self.policy.error_window_s * 1000)
        recent = [ok for t, ok in self._health[venue].outcomes if t >= cutoff]
        if len(recent) >= self.policy.min_requests:
            rate = recent.count(False) / len(recent)
            if rate > self.policy.max_error_rate:
                return f"{venue} error rate {rate:.0%} over {len(recent)} requests"
        p50 = tracker.rest_latency.percentile(50)
        if p50 is not None and p50 > self.policy.max_rest_p50_ms:
            return f"{venue} REST p50 {p50:.0f} ms"
        return None

    def assess(self) -> FailoverEvent | None:
        """Update health clocks and switch venues if the policy says so."""
        now = self.clock.now_ms()
        problems = {}
        for vid, h in self._health.items():
            problems[vid] = self.problem(vid)
            if problems[vid] is None:
                h.bad_since = None
                h.good_since = h.good_since if h.good_since is not None else now
            else:
                h.good_since = None
                h.bad_since = h.bad_since if h.bad_since is not None else now
        p, b = self._health[self.primary], self._health[self.backup]
        if self.active is self.primary:
            bad_for = (now - p.bad_since) / 1000 if p.bad_since is not None else 0.0
            if bad_for >= self.policy.unhealthy_after_s and problems[self.backup] is None:
                return self._switch(self.backup, problems[self.primary] or "unhealthy", now)
        else:
            good_for = (now - p.good_since) / 1000 if p.good_since is not None else 0.0
            if good_for >= self.policy.healthy_after_s:
                return self._switch(
                    self.primary, f"{self.primary} healthy for {good_for:.0f}s", now
                )
            if b.bad_since is not None and p.bad_since is None:
                # the backup failed while the primary is recovering: go back early
                return self._switch(self.primary, problems[self.backup] or "backup unhealthy", now)
        return None

    def _switch(self, to: VenueId, reason: str, now: int) -> FailoverEvent:
        event = FailoverEvent(now, self.active, to, reason)
        self.active = to
        for vid, venue in self.venues.items():
            venue.tracker.active = vid is to
        self.events.append(event)
        if self.on_switch is not None:
            self.on_switch(event)
        return event

    # --- routing ---------------------------------------------------------------------------

    def venue(self) -> CcxtVenue:
        """The venue orders go to and CEX data is read from."""
        return self.venues[self.active]

    async def create_order(
        self,
        client_order_id: str,
        symbol: str,
        side: Side,
        type_: OrderType,
        qty: Decimal,
        price: Decimal | None = None,
    ) -> Order:
        vid = self.active
        try:
            order = await self.venues[vid].create_order(
                client_order_id, symbol, side, type_, qty, price
            )
        except RetryLater:
            self.record(vid, ok=False)
            raise
        self.record(vid, ok=True)
        return order
