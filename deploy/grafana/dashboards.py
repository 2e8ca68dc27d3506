"""Build the Grafana dashboards with grafana-foundation-sdk (Grafana's own typed builders)
and write them as JSON into ``deploy/grafana/dashboards/``.

    .venv/bin/python deploy/grafana/dashboards.py

Two dashboards: system health & latency (Prometheus), and signal performance DEX-led vs
the CEX-only baseline (PostgreSQL read-only views). A test rebuilds them and compares
with the committed files, decodes them with the SDK's models, and checks that every
query names a metric or view that exists.
"""

from __future__ import annotations

import json
import typing
from pathlib import Path

from grafana_foundation_sdk.builders.dashboard import Dashboard, Row
from grafana_foundation_sdk.builders.prometheus import Dataquery as PromQuery
from grafana_foundation_sdk.builders.stat import Panel as Stat
from grafana_foundation_sdk.builders.table import Panel as Table
from grafana_foundation_sdk.builders.timeseries import Panel as Timeseries
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef

OUT = Path(__file__).parent / "dashboards"
PROM = DataSourceRef(type_val="prometheus", uid="dexcex-prometheus")
PG = DataSourceRef(type_val="grafana-postgresql-datasource", uid="dexcex-postgres")


class SqlQuery(cogvariants.Dataquery):
    """A PostgreSQL data source query (the SDK ships no SQL query type)."""

    def __init__(self, ref_id: str, raw_sql: str, fmt: str) -> None:
        self.ref_id, self.raw_sql, self.fmt = ref_id, raw_sql, fmt

    def to_json(self) -> dict[str, object]:
        return {
            "refId": self.ref_id,
            "rawSql": self.raw_sql,
            "format": self.fmt,
            "rawQuery": True,
            "editorMode": "code",
            "datasource": PG.to_json(),
        }


class Sql(cogbuilder.Builder[cogvariants.Dataquery]):
    def __init__(self, raw_sql: str, fmt: str = "time_series", ref_id: str = "A") -> None:
        self.query = SqlQuery(ref_id, raw_sql, fmt)

    def build(self) -> cogvariants.Dataquery:
        return self.query


def prom(expr: str, legend: str = "", ref: str = "A") -> PromQuery:
    return PromQuery().expr(expr).legend_format(legend).ref_id(ref)


def ts(title: str, unit: str, *queries: PromQuery, w: int = 12) -> Timeseries:
    p = Timeseries().title(title).unit(unit).datasource(PROM).height(8).span(w)
    for q in queries:
        p = p.with_target(q)
    return p


def health() -> Dashboard:
    q = "histogram_quantile"
    return (
        Dashboard("dexcex · system health & latency")
        .uid("dexcex-health")
        .tags(["dexcex"])
        .refresh("10s")
        .time("now-1h", "now")
        .with_row(Row("Sources and venues"))
        .with_panel(
            Stat()
            .title("Sources up")
            .datasource(PROM)
            .height(4)
            .span(6)
            .with_target(prom("sum(dexcex_source_up)", "up"))
        )
        .with_panel(
            Stat()
            .title("Open alerts")
            .datasource(PROM)
            .height(4)
            .span(6)
            .with_target(prom("dexcex_alerts_open", "open"))
        )
        .with_panel(
            Stat()
            .title("Events dropped (bus full)")
            .datasource(PROM)
            .height(4)
            .span(6)
            .with_target(prom("dexcex_bus_dropped_total", "dropped"))
        )
        .with_panel(
            Stat()
            .title("Orders to")
            .datasource(PROM)
            .height(4)
            .span(6)
            .with_target(prom("dexcex_venue_active == 1", "{{venue}}"))
        )
        .with_panel(
            ts(
                "Messages per second",
                "none",
                prom("dexcex_source_messages_per_second", "{{source}}"),
            )
        )
        .with_panel(
            ts(
                "Time since last message",
                "s",
                prom("dexcex_source_last_message_age_seconds", "{{source}}"),
            )
        )
        .with_panel(
            ts(
                "Errors, 429s and reconnects per minute",
                "none",
                prom("rate(dexcex_source_errors_total[5m]) * 60", "errors {{source}}", "A"),
                prom("rate(dexcex_source_rate_limited_total[5m]) * 60", "429 {{source}}", "B"),
                prom("rate(dexcex_source_reconnects_total[5m]) * 60", "reconnect {{source}}", "C"),
            )
        )
        .with_panel(
            ts(
                "Rejected input per minute, by reason",
                "none",
                prom(
                    "sum by (source, reason) (rate(dexcex_rejected_total[5m])) * 60",
                    "{{source}} {{reason}}",
                ),
            )
        )
        .with_row(Row("Latency"))
        .with_panel(
            ts(
                "Source stamp → receive, p99",
                "s",
                prom(
                    f"{q}(0.99, sum by (le, source) (rate(dexcex_feed_latency_seconds_bucket[5m])))",
                    "{{source}}",
                ),
            )
        )
        .with_panel(
            ts(
                "REST round trip, p50 / p99",
                "s",
                prom(
                    f"{q}(0.5, sum by (le, source) (rate(dexcex_rest_latency_seconds_bucket[5m])))",
                    "p50 {{source}}",
                    "A",
                ),
                prom(
                    f"{q}(0.99, sum by (le, source) (rate(dexcex_rest_latency_seconds_bucket[5m])))",
                    "p99 {{source}}",
                    "B",
                ),
            )
        )
        .with_panel(
            ts(
                "Receive → signal stored, signal → screen (p99)",
                "s",
                prom(
                    f"{q}(0.99, sum by (le) (rate(dexcex_signal_latency_seconds_bucket[5m])))",
                    "receive → signal",
                    "A",
                ),
                prom(
                    f"{q}(0.99, sum by (le) (rate(dexcex_signal_to_screen_seconds_bucket[5m])))",
                    "signal → screen",
                    "B",
                ),
            )
        )
        .with_panel(
            ts(
                "Order sent → acknowledged (p95)",
                "s",
                prom(
                    f"{q}(0.95, sum by (le, venue, mode) (rate(dexcex_order_ack_seconds_bucket[5m])))",
                    "{{mode}} {{venue}}",
                ),
            )
        )
        .with_row(Row("Throughput"))
        .with_panel(
            ts(
                "Events and signals per second",
                "none",
                prom("rate(dexcex_events_total[1m])", "events", "A"),
                prom("rate(dexcex_signals_total[5m])", "signals", "B"),
            )
        )
        .with_panel(ts("Market bus depth", "none", prom("dexcex_bus_queue_depth", "queued")))
        .with_row(Row("Model drift (automatic trading pauses past the thresholds)"))
        .with_panel(
            ts(
                "PSI per feature vs training data (pause > 0.25)",
                "none",
                prom("topk(8, dexcex_model_psi)", "{{model}} {{feature}}"),
            )
        )
        .with_panel(
            ts(
                "Rolling Brier of the active model; automatic trading paused",
                "none",
                prom("dexcex_model_brier", "Brier {{model}}", "A"),
                prom("dexcex_auto_paused", "paused", "B"),
            )
        )
    )


def performance() -> Dashboard:
    daily = (
        "SELECT day::timestamp AS time, origin AS metric, hit_rate_5m AS value "
        "FROM v_daily_performance WHERE $__timeFilter(day::timestamp) ORDER BY 1"
    )
    net = (
        "SELECT day::timestamp AS time, origin AS metric, mean_net_5m_bps AS value "
        "FROM v_daily_performance WHERE $__timeFilter(day::timestamp) ORDER BY 1"
    )
    table = (
        "SELECT origin, sum(signals) AS signals, sum(executed) AS executed, "
        "avg(hit_rate_5m) AS hit_rate_5m, avg(mean_net_5m_bps) AS mean_net_5m_bps, "
        "avg(mean_net_60m_bps) AS mean_net_60m_bps FROM v_daily_performance "
        "WHERE $__timeFilter(day::timestamp) GROUP BY origin ORDER BY origin"
    )
    latest = (
        "SELECT time, asset_id, origin, direction, confidence, status, net_5m_bps, label_5m "
        "FROM v_signal_outcomes WHERE $__timeFilter(time) ORDER BY time DESC LIMIT 200"
    )
    return (
        Dashboard("dexcex · signal performance, DEX-led vs CEX-only baseline")
        .uid("dexcex-performance")
        .tags(["dexcex"])
        .refresh("1m")
        .time("now-7d", "now")
        .with_panel(
            Table()
            .title("By origin")
            .datasource(PG)
            .height(6)
            .span(24)
            .with_target(Sql(table, "table"))
        )
        .with_panel(
            Timeseries()
            .title("Hit rate at 5 minutes, per day")
            .unit("percentunit")
            .datasource(PG)
            .height(8)
            .span(12)
            .with_target(Sql(daily))
        )
        .with_panel(
            Timeseries()
            .title("Mean net return at 5 minutes (bps), per day")
            .unit("none")
            .datasource(PG)
            .height(8)
            .span(12)
            .with_target(Sql(net))
        )
        .with_panel(
            Stat()
            .title("Paper PnL now (USDT)")
            .datasource(PROM)
            .height(4)
            .span(24)
            .with_target(prom('sum by (origin) (dexcex_pnl_usdt{kind="realized"})', "{{origin}}"))
        )
        .with_panel(
            Table()
            .title("Latest signals")
            .datasource(PG)
            .height(10)
            .span(24)
            .with_target(Sql(latest, "table"))
        )
    )


def render(d: Dashboard) -> str:
    return (
        json.dumps(
            json.loads(JSONEncoder(sort_keys=True, indent=2).encode(d.build())),
            indent=2,
            sort_keys=True,
        )
        + "\n"
    )


DASHBOARDS: dict[str, typing.Callable[[], Dashboard]] = {
    "dexcex-health.json": health,
    "dexcex-performance.json": performance,
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, make in DASHBOARDS.items():
        (OUT / name).write_text(render(make()), encoding="utf-8")
        print(f"wrote {OUT / name}")


if __name__ == "__main__":
    main()
