"""What each source and venue knows about itself: connected, last message, rates,
errors, 429s, reconnects, rejected input (by reason) and latencies.

Clock-injected and free of I/O, so the same tracker serves live runs, replays and tests.
Rejected input is logged here, once per reason per ``log_every_s``, so a flood of bad
frames is counted in full but does not flood the log.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable

from dexcex.domain import HealthState, SourceHealth, SourceKind
from dexcex.logs import get_logger

__all__ = ["HealthTracker", "LatencyWindow"]

_log = get_logger("dexcex.health")


class LatencyWindow:
    """The last ``size`` latency samples (ms), for percentiles."""

    __slots__ = ("_samples", "observers")

    def __init__(self, size: int = 2048) -> None:
        self._samples: deque[float] = deque(maxlen=size)
        self.observers: list[Callable[[float], None]] = []  # e.g. a Prometheus histogram

    def add(self, ms: float) -> None:
        self._samples.append(ms)
        for fn in self.observers:
            fn(ms)

    def __len__(self) -> int:
        return len(self._samples)

    def percentile(self, q: float) -> float | None:
        if not self._samples:
            return None
        ordered = sorted(self._samples)
        idx = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
        return ordered[idx]


class HealthTracker:
    """Counters and timestamps of one source or venue; ``snapshot()`` gives a SourceHealth."""

    def __init__(
        self,
        source: str,
        kind: SourceKind,
        clock: Callable[[], int],
        *,
        stale_after_ms: int = 10_000,
        rate_window_ms: int = 10_000,
        log_every_s: float = 10.0,
    ) -> None:
        self.source = source
        self.kind = kind
        self._clock = clock
        self.stale_after_ms = stale_after_ms
        self.rate_window_ms = rate_window_ms
        self.connected = False
        self.active = True
        self.last_msg_ms: int | None = None
        self.messages = 0
        self.errors = 0
        self.rate_limited = 0
        self.reconnects = 0
        self.resyncs = 0
        self.rejected: Counter[str] = Counter()
        self.rest_latency = LatencyWindow()
        self.feed_latency = LatencyWindow()
        self._recent: deque[int] = deque()
        self._last_log: dict[str, int] = {}
        self._log_every_ms = int(log_every_s * 1000)
        self.down_reason = ""
        self.rate_limited_until_ms = 0

    # --- events ------------------------------------------------------------------------------

    def on_connect(self) -> None:
        if self.connected is False and self.messages:
            self.reconnects += 1
        self.connected = True
        self.down_reason = ""

    def on_disconnect(self, reason: str = "") -> None:
        self.connected = False
        self.down_reason = reason

    def on_message(self, ts_event: int | None = None) -> None:
        now = self._clock()
        self.messages += 1
        self.last_msg_ms = now
        self._recent.append(now)
        cutoff = now - self.rate_window_ms
        while self._recent and self._recent[0] < cutoff:
            self._recent.popleft()
        if ts_event is not None:
            self.feed_latency.add(max(0, now - ts_event))

    def on_error(self, reason: str) -> None:
        self.errors += 1
        self._maybe_log("error", reason, "source error")

    def on_rate_limited(self, retry_after_s: float | None = None) -> None:
        self.rate_limited += 1
        if retry_after_s:
            self.rate_limited_until_ms = self._clock() + int(retry_after_s * 1000)
        self._maybe_log("rate_limited", f"retry after {retry_after_s}", "rate limited")

    def on_rest(self, latency_ms: float) -> None:
        self.rest_latency.add(latency_ms)

    def on_resync(self, reason: str) -> None:
        self.resyncs += 1
        _log.info("order book resync", source=self.source, reason=reason, resyncs=self.resyncs)

    def reject(self, reason: str, detail: str = "") -> None:
        """Count (and, rate-limited, log) one rejected input with a short reason code."""
        self.rejected[reason] += 1
        self._maybe_log(f"reject:{reason}", detail, "rejected input")

    def _maybe_log(self, key: str, detail: str, what: str) -> None:
        now = self._clock()
        last = self._last_log.get(key)
        if last is None or now - last >= self._log_every_ms:
            self._last_log[key] = now
            count = self.rejected.get(key[7:], 0) if key.startswith("reject:") else None
            _log.warning(what, source=self.source, reason=key, detail=detail[:200], total=count)

    # --- state -------------------------------------------------------------------------------

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def state(self) -> HealthState:
        now = self._clock()
        if not self.connected:
            return HealthState.DOWN
        if self.rate_limited_until_ms > now:
            return HealthState.RATE_LIMITED
        if self.last_msg_ms is not None and now - self.last_msg_ms > self.stale_after_ms:
            return HealthState.STALE
        return HealthState.OK

    def _latency(self, q: float) -> float | None:
        """Feed latency (source time → receive) when the source stamps its events, else
        the REST round trip."""
        window = self.feed_latency if len(self.feed_latency) else self.rest_latency
        return window.percentile(q)

    def snapshot(self, detail: str = "") -> SourceHealth:
        now = self._clock()
        window_s = self.rate_window_ms / 1000
        return SourceHealth(
            source=self.source,
            kind=self.kind,
            state=self.state(),
            connected=self.connected,
            ts=now,
            last_msg_age_ms=None if self.last_msg_ms is None else now - self.last_msg_ms,
            msg_rate=len(self._recent) / window_s,
            errors=self.errors,
            rate_limited=self.rate_limited,
            reconnects=self.reconnects,
            rejected=self.rejected_total,
            latency_p50_ms=self._latency(50),
            latency_p99_ms=self._latency(99),
            active=self.active,
            detail=detail or self.down_reason,
        )
