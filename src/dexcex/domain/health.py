"""Health of one data source or venue, sampled over time."""

from __future__ import annotations

import msgspec

from dexcex.domain._checks import check_time
from dexcex.domain.enums import HealthState, SourceKind, VenueId

__all__ = ["FailoverEvent", "SourceHealth"]


class SourceHealth(msgspec.Struct, frozen=True):
    """A health sample. ``source`` names the stream, e.g. ``birdeye:solana`` or ``mexc``.

    Ages and latencies are in milliseconds; ``msg_rate`` in messages per second; the
    counters are totals since the process started.
    """

    source: str
    kind: SourceKind
    state: HealthState
    connected: bool
    ts: int
    last_msg_age_ms: int | None = None
    msg_rate: float = 0.0
    errors: int = 0
    rate_limited: int = 0
    reconnects: int = 0
    rejected: int = 0
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None
    active: bool = True  # False for a standby venue (failover backup)
    detail: str = ""

    def __post_init__(self) -> None:
        check_time("SourceHealth", "ts", self.ts)


class FailoverEvent(msgspec.Struct, frozen=True):
    """The router moved orders and market data from one venue to the other."""

    ts: int
    from_venue: VenueId
    to_venue: VenueId
    reason: str
