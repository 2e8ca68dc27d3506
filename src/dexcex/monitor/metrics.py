"""Prometheus metrics of a running engine (``/metrics`` on the page's server).

Two kinds: latency **histograms**, observed where the time is known (source stamp →
receive per source, REST round trips per venue, receive → stored signal, signal →
screen, order sent → acknowledged), and everything else read from live state when
Prometheus scrapes (a custom collector): health per source, counters, queue depths,
rejections by reason, PnL. Names follow Prometheus conventions: ``dexcex_…_total`` for
counters, ``_seconds`` for times, base units.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Set
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from dexcex.core import CoreOutput
from dexcex.domain import HealthState, Order, TradingMode
from dexcex.edge.health import HealthTracker
from dexcex.execution.ledger import PositionView

__all__ = ["METRIC_NAMES", "MetricSources", "Metrics"]

_FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_STATES = [s.value for s in HealthState]

# Every series this module can export (dashboards and alert rules are checked against it).
METRIC_NAMES = frozenset(
    {
        "dexcex_feed_latency_seconds",
        "dexcex_rest_latency_seconds",
        "dexcex_signal_latency_seconds",
        "dexcex_signal_to_screen_seconds",
        "dexcex_order_ack_seconds",
        "dexcex_source_up",
        "dexcex_source_state",
        "dexcex_source_last_message_age_seconds",
        "dexcex_source_messages_per_second",
        "dexcex_source_messages_total",
        "dexcex_source_errors_total",
        "dexcex_source_rate_limited_total",
        "dexcex_source_reconnects_total",
        "dexcex_rejected_total",
        "dexcex_venue_active",
        "dexcex_events_total",
        "dexcex_signals_total",
        "dexcex_signals_stored_total",
        "dexcex_bus_queue_depth",
        "dexcex_bus_dropped_total",
        "dexcex_orders_total",
        "dexcex_open_positions",
        "dexcex_pnl_usdt",
        "dexcex_alerts_open",
        "dexcex_page_clients",
        "dexcex_data_accuracy_ratio",
        "dexcex_source_excluded",
        "dexcex_excluded_events_total",
        "dexcex_bus_latency_seconds",
        "dexcex_task_failures_total",
        "dexcex_guard_refused_total",
        "dexcex_model_psi",
        "dexcex_model_brier",
        "dexcex_auto_paused",
    }
)


class EngineCounts(Protocol):
    @property
    def events(self) -> int: ...

    @property
    def signals(self) -> int: ...

    @property
    def stored(self) -> int: ...

    @property
    def excluded_events(self) -> int: ...


class BusStats(Protocol):
    @property
    def dropped(self) -> int: ...

    def __len__(self) -> int: ...


class StreamState(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def state(self) -> HealthState: ...


class AccuracyView(Protocol):
    @property
    def excluded(self) -> Set[str]: ...

    @property
    def sources(self) -> Iterable[str]: ...

    def share(self, source: str) -> float | None: ...


class JournalCounts(Protocol):
    @property
    def written_orders(self) -> int: ...


class ExecutionStats(Protocol):
    @property
    def mode(self) -> TradingMode: ...

    @property
    def journal(self) -> JournalCounts: ...

    def positions(self) -> list[PositionView]: ...


class DriftView(Protocol):
    """The active model's drift: (model id, PSI per feature, rolling Brier, paused)."""

    def drift_view(self) -> tuple[str, dict[str, float], float | None, bool] | None: ...


@dataclass
class MetricSources:
    """What a process exports, each part optional (a collector has no engine)."""

    trackers: list[HealthTracker] = field(default_factory=list)
    venue_trackers: dict[str, HealthTracker] = field(default_factory=dict)
    streams: Callable[[], Iterable[StreamState]] = lambda: ()
    engine: EngineCounts | None = None
    bus: BusStats | None = None
    accuracy: AccuracyView | None = None
    execution: ExecutionStats | None = None
    page_clients: Callable[[], int] | None = None
    open_alerts: Callable[[], int] | None = None
    # failures per part of the engine (``pipeline.faults``), refusals per page defence
    failures: Callable[[], Mapping[str, int]] | None = None
    refused: Callable[[], Mapping[str, int]] | None = None
    drift: DriftView | None = None  # the automatic-trading gate (models.guard)


class Metrics:
    """One registry per engine (tests can run several side by side)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.feed_latency = Histogram(
            "dexcex_feed_latency_seconds",
            "Source timestamp to local receive, per source",
            ["source"],
            buckets=_FAST,
            registry=r,
        )
        self.rest_latency = Histogram(
            "dexcex_rest_latency_seconds",
            "REST round trip, per venue or source",
            ["source"],
            buckets=_FAST,
            registry=r,
        )
        self.signal_latency = Histogram(
            "dexcex_signal_latency_seconds",
            "Triggering event received to signal stored",
            buckets=_FAST,
            registry=r,
        )
        self.signal_to_screen = Histogram(
            "dexcex_signal_to_screen_seconds",
            "Signal stored to sent to the page",
            buckets=_FAST,
            registry=r,
        )
        self.order_ack = Histogram(
            "dexcex_order_ack_seconds",
            "Order sent to acknowledged by the venue (paper: the simulated latency)",
            ["venue", "mode"],
            buckets=_FAST,
            registry=r,
        )
        self.bus_latency = Histogram(
            "dexcex_bus_latency_seconds",
            "Source timestamp to the engine, through the Redis bus (engine role)",
            buckets=_FAST,
            registry=r,
        )
        self._acked: set[str] = set()
        self.sources: MetricSources | None = None

    def bind(self, sources: MetricSources) -> None:
        """Observe the trackers' latencies and export the run's state at scrape time."""
        self.sources = sources
        for tracker in sources.trackers:
            self._watch(tracker)
        self.registry.register(_StateCollector(self))

    def _watch(self, tracker: HealthTracker) -> None:
        feed = self.feed_latency.labels(tracker.source)
        rest = self.rest_latency.labels(tracker.source)
        tracker.feed_latency.observers.append(lambda ms: feed.observe(ms / 1000))
        tracker.rest_latency.observers.append(lambda ms: rest.observe(ms / 1000))

    def delivered(self, outs: list[CoreOutput], now_ms: int) -> None:
        """Stored signals (an engine hook): receive → stored latency."""
        for out in outs:
            self.signal_latency.observe(max(0, now_ms - out.signal.trigger_ts_recv) / 1000)

    def on_order(self, order: Order) -> None:
        if order.ts_ack is None or order.ts_sent is None:
            return
        if order.client_order_id in self._acked:
            return
        if len(self._acked) > 100_000:
            self._acked.clear()
        self._acked.add(order.client_order_id)
        self.order_ack.labels(order.venue.value, order.mode.value).observe(
            max(0, order.ts_ack - order.ts_sent) / 1000
        )


class _StateCollector(Collector):
    def __init__(self, m: Metrics) -> None:
        self.m = m

    def collect(self) -> Any:
        src = self.m.sources
        if src is None:
            return
        yield from _sources(src)
        eng = src.engine
        if eng is not None:
            yield _counter("dexcex_events", "Market events through the core", eng.events)
            yield _counter("dexcex_signals", "Signals the core produced", eng.signals)
            yield _counter("dexcex_signals_stored", "Signals written to the database", eng.stored)
        if src.bus is not None:
            yield _gauge("dexcex_bus_queue_depth", "Events waiting on the market bus", len(src.bus))
            yield _counter("dexcex_bus_dropped", "Events dropped by a full bus", src.bus.dropped)
        if src.accuracy is not None and eng is not None:
            yield from _accuracy(src.accuracy, eng.excluded_events)
        if src.execution is not None:
            yield from _execution(src.execution)
        if src.page_clients is not None:
            yield _gauge("dexcex_page_clients", "Pages connected", src.page_clients())
        if src.open_alerts is not None:
            yield _gauge("dexcex_alerts_open", "Alerts raised and not cleared", src.open_alerts())
        if src.failures is not None:
            yield _by_label(
                "dexcex_task_failures", "Engine task failures, by part", "part", src.failures()
            )
        if src.refused is not None:
            yield _by_label(
                "dexcex_guard_refused", "Requests the page refused, by why", "why", src.refused()
            )

        if src.execution is not None:  # families present (maybe empty) with no model too
            yield from _drift(src.drift.drift_view() if src.drift is not None else None)


def _by_label(name: str, doc: str, label: str, counts: Mapping[str, int]) -> Any:
    fam = CounterMetricFamily(name, doc, labels=[label])
    for key, n in sorted(counts.items()):
        fam.add_metric([key], n)
    return fam


def _drift(view: tuple[str, dict[str, float], float | None, bool] | None) -> Any:
    g = GaugeMetricFamily(
        "dexcex_model_psi",
        "PSI of a feature against the training data",
        labels=["model", "feature"],
    )
    b = GaugeMetricFamily("dexcex_model_brier", "Rolling Brier score", labels=["model"])
    if view is not None:
        model, psi, brier, _ = view
        for name, v in psi.items():
            g.add_metric([model, name], v)
        if brier is not None:
            b.add_metric([model], brier)
    yield g
    yield b
    paused = bool(view and view[3])
    yield _gauge("dexcex_auto_paused", "1 while automatic trading is paused by drift", paused)


def _sources(src: MetricSources) -> Any:
    up = GaugeMetricFamily("dexcex_source_up", "1 when the source is ok", labels=["source"])
    state = GaugeMetricFamily(
        "dexcex_source_state", "1 for the current state", labels=["source", "state"]
    )
    age = GaugeMetricFamily(
        "dexcex_source_last_message_age_seconds", "Time since the last message", labels=["source"]
    )
    rate = GaugeMetricFamily(
        "dexcex_source_messages_per_second", "Recent message rate", labels=["source"]
    )
    msgs = CounterMetricFamily("dexcex_source_messages", "Messages received", labels=["source"])
    errors = CounterMetricFamily("dexcex_source_errors", "Errors", labels=["source"])
    limited = CounterMetricFamily(
        "dexcex_source_rate_limited", "Rate-limit answers (429)", labels=["source"]
    )
    reconnects = CounterMetricFamily("dexcex_source_reconnects", "Reconnects", labels=["source"])
    rejected = CounterMetricFamily(
        "dexcex_rejected", "Rejected input, by reason", labels=["source", "reason"]
    )
    active = GaugeMetricFamily(
        "dexcex_venue_active", "1 for the venue orders go to", labels=["venue"]
    )
    for venue, tracker in src.venue_trackers.items():
        active.add_metric([venue], 1.0 if tracker.active else 0.0)
    for t in src.trackers:
        h = t.snapshot()
        name = h.source
        up.add_metric([name], 1.0 if h.state is HealthState.OK else 0.0)
        for s in _STATES:
            state.add_metric([name, s], 1.0 if h.state.value == s else 0.0)
        if h.last_msg_age_ms is not None:
            age.add_metric([name], h.last_msg_age_ms / 1000)
        rate.add_metric([name], h.msg_rate)
        msgs.add_metric([name], float(t.messages))
        errors.add_metric([name], float(h.errors))
        limited.add_metric([name], float(h.rate_limited))
        reconnects.add_metric([name], float(h.reconnects))
        for reason, n in t.rejected.items():
            rejected.add_metric([name, reason], float(n))
    for st in src.streams():
        up.add_metric([st.name], 1.0 if st.state is HealthState.OK else 0.0)
        for s in _STATES:
            state.add_metric([st.name, s], 1.0 if st.state.value == s else 0.0)
    yield from (up, state, age, rate, msgs, errors, limited, reconnects, rejected, active)


def _accuracy(acc: AccuracyView, excluded_events: int) -> Any:
    ratio = GaugeMetricFamily(
        "dexcex_data_accuracy_ratio",
        "Share of recent samples within tolerance of the other sources",
        labels=["source"],
    )
    excl = GaugeMetricFamily(
        "dexcex_source_excluded", "1 while excluded from signals", labels=["source"]
    )
    for src in acc.sources:
        share = acc.share(src)
        if share is not None:
            ratio.add_metric([src], share)
        excl.add_metric([src], 1.0 if src in acc.excluded else 0.0)
    yield ratio
    yield excl
    yield _counter("dexcex_excluded_events", "Events kept from the core", excluded_events)


def _execution(ex: ExecutionStats) -> Any:
    orders = CounterMetricFamily("dexcex_orders", "Orders written", labels=["mode"])
    orders.add_metric([ex.mode.value], float(ex.journal.written_orders))
    yield orders
    pnl = GaugeMetricFamily(
        "dexcex_pnl_usdt", "PnL by signal origin", labels=["mode", "origin", "kind"]
    )
    open_pos = GaugeMetricFamily("dexcex_open_positions", "Open positions", labels=["mode"])
    views = ex.positions()
    mode = ex.mode.value
    open_pos.add_metric([mode], float(sum(1 for p in views if p.qty != 0)))
    realized: dict[str, Decimal] = {}
    unrealized: dict[str, Decimal] = {}
    for p in views:
        realized[p.origin] = realized.get(p.origin, Decimal(0)) + p.realized
        if p.unrealized is not None:
            unrealized[p.origin] = unrealized.get(p.origin, Decimal(0)) + p.unrealized
    for origin, v in realized.items():
        pnl.add_metric([mode, origin, "realized"], float(v))
    for origin, v in unrealized.items():
        pnl.add_metric([mode, origin, "unrealized"], float(v))
    yield open_pos
    yield pnl


def _counter(name: str, doc: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, doc, value=float(value))


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=float(value))
