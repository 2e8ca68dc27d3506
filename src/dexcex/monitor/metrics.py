"""Prometheus metrics of a running engine (``/metrics`` on the page's server).

Two kinds: latency **histograms**, observed where the time is known (source stamp →
receive per source, REST round trips per venue, receive → stored signal, signal →
screen, order sent → acknowledged), and everything else read from live state when
Prometheus scrapes (a custom collector): health per source, counters, queue depths,
rejections by reason, PnL. Names follow Prometheus conventions: ``dexcex_…_total`` for
counters, ``_seconds`` for times, base units.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from dexcex.domain import HealthState, Order

__all__ = ["METRIC_NAMES", "Metrics"]

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
    }
)


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
        self.pipeline: Any = None
        self.extra: dict[str, Any] = {}  # hub, alerts: set by whoever runs them

    def bind(self, pipeline: Any) -> None:
        """Observe the pipeline's latencies and export its state at scrape time."""
        self.pipeline = pipeline
        for venue in pipeline.venues.values():
            self._watch(venue.tracker)
        for src in (pipeline.birdeye, pipeline.dexscreener):
            if src is not None:
                self._watch(src.tracker)
        pipeline.engine.on_delivered.append(self._delivered)
        if pipeline.execution is not None:
            pipeline.execution.listeners.append(self.on_order)
        self.registry.register(_StateCollector(self))

    def _watch(self, tracker: Any) -> None:
        feed = self.feed_latency.labels(tracker.source)
        rest = self.rest_latency.labels(tracker.source)
        tracker.feed_latency.observers.append(lambda ms: feed.observe(ms / 1000))
        tracker.rest_latency.observers.append(lambda ms: rest.observe(ms / 1000))

    def _delivered(self, outs: list[Any], now_ms: int) -> None:
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
        pipe = self.m.pipeline
        up = GaugeMetricFamily("dexcex_source_up", "1 when the source is ok", labels=["source"])
        state = GaugeMetricFamily(
            "dexcex_source_state", "1 for the current state", labels=["source", "state"]
        )
        age = GaugeMetricFamily(
            "dexcex_source_last_message_age_seconds",
            "Time since the last message",
            labels=["source"],
        )
        rate = GaugeMetricFamily(
            "dexcex_source_messages_per_second", "Recent message rate", labels=["source"]
        )
        msgs = CounterMetricFamily("dexcex_source_messages", "Messages received", labels=["source"])
        errors = CounterMetricFamily("dexcex_source_errors", "Errors", labels=["source"])
        limited = CounterMetricFamily(
            "dexcex_source_rate_limited", "Rate-limit answers (429)", labels=["source"]
        )
        reconnects = CounterMetricFamily(
            "dexcex_source_reconnects", "Reconnects", labels=["source"]
        )
        rejected = CounterMetricFamily(
            "dexcex_rejected", "Rejected input, by reason", labels=["source", "reason"]
        )
        active = GaugeMetricFamily(
            "dexcex_venue_active", "1 for the venue orders go to", labels=["venue"]
        )
        trackers = []
        for v in pipe.venues.values():
            trackers.append(v.tracker)
            active.add_metric([v.id.value], 1.0 if v.tracker.active else 0.0)
        trackers += [s.tracker for s in (pipe.birdeye, pipe.dexscreener) if s is not None]
        for t in trackers:
            h = t.snapshot()
            src = h.source
            up.add_metric([src], 1.0 if h.state is HealthState.OK else 0.0)
            for s in _STATES:
                state.add_metric([src, s], 1.0 if h.state.value == s else 0.0)
            if h.last_msg_age_ms is not None:
                age.add_metric([src], h.last_msg_age_ms / 1000)
            rate.add_metric([src], h.msg_rate)
            msgs.add_metric([src], float(t.messages))
            errors.add_metric([src], float(h.errors))
            limited.add_metric([src], float(h.rate_limited))
            reconnects.add_metric([src], float(h.reconnects))
            for reason, n in t.rejected.items():
                rejected.add_metric([src, reason], float(n))
        for st in pipe.supervisor.status.values():
            src = st.name
            up.add_metric([src], 1.0 if st.state is HealthState.OK else 0.0)
            for s in _STATES:
                state.add_metric([src, s], 1.0 if st.state.value == s else 0.0)
        yield from (up, state, age, rate, msgs, errors, limited, reconnects, rejected, active)

        eng = pipe.engine
        yield _counter("dexcex_events", "Market events through the core", eng.events)
        yield _counter("dexcex_signals", "Signals the core produced", eng.signals)
        yield _counter("dexcex_signals_stored", "Signals written to the database", eng.stored)
        yield _gauge("dexcex_bus_queue_depth", "Events waiting on the market bus", len(pipe.bus))
        yield _counter("dexcex_bus_dropped", "Events dropped by a full bus", pipe.bus.dropped)

        if pipe.accuracy is not None:
            yield from _accuracy(pipe.accuracy, eng.excluded_events)
        ex = pipe.execution
        if ex is not None:
            yield from _execution(ex)
        hub = self.m.extra.get("hub")
        if hub is not None:
            yield _gauge("dexcex_page_clients", "Pages connected", len(hub.clients))
        alerts = self.m.extra.get("alerts")
        if alerts is not None:
            yield _gauge("dexcex_alerts_open", "Alerts raised and not cleared", len(alerts.open))


def _accuracy(acc: Any, excluded_events: int) -> Any:
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


def _execution(ex: Any) -> Any:
    orders = CounterMetricFamily("dexcex_orders", "Orders written", labels=["mode"])
    orders.add_metric([ex.mode.value], float(ex.journal.written_orders))
    yield orders
    pnl = GaugeMetricFamily(
        "dexcex_pnl_usdt", "PnL by signal origin", labels=["mode", "origin", "kind"]
    )
    open_pos = GaugeMetricFamily("dexcex_open_positions", "Open positions", labels=["mode"])
    if ex.live is not None:
        open_pos.add_metric(["live"], float(len(ex.live.trades)))
    else:
        book = ex.paper.positions.positions
        open_pos.add_metric(["paper"], float(sum(1 for p in book.values() if p.qty != 0)))
        realized: dict[str, Decimal] = {}
        for p in book.values():
            realized[p.origin] = realized.get(p.origin, Decimal(0)) + p.realized
        for origin, v in realized.items():
            pnl.add_metric(["paper", origin, "realized"], float(v))
    yield open_pos
    yield pnl


def _counter(name: str, doc: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, doc, value=float(value))


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=float(value))
