"""Read-only SQL views for analytics and Grafana: signal outcomes, daily performance by
origin, the latest health sample per source.

Revision ID: 0003
Revises: 0002
"""

# ruff: noqa: S608 - DDL assembled from constants in this file, no outside input

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

VIEWS = ("v_signal_outcomes", "v_daily_performance", "v_source_health_latest")


def _day(column: str) -> str:
    if op.get_bind().dialect.name == "sqlite":
        return f"date({column} / 1000, 'unixepoch')"
    return f"(to_timestamp({column} / 1000.0) AT TIME ZONE 'UTC')::date"


def _ts(column: str) -> str:
    if op.get_bind().dialect.name == "sqlite":
        return f"datetime({column} / 1000, 'unixepoch')"
    return f"to_timestamp({column} / 1000.0)"


def upgrade() -> None:
    op.execute(
        f"""
        CREATE VIEW v_signal_outcomes AS
        SELECT id, {_ts("created_ms")} AS time, created_ms, asset_id, venue, origin,
               direction, confidence, expected_move_bps, status, risk_decision,
               realized_slippage_bps, ret_5m_bps, net_5m_bps, label_5m,
               ret_60m_bps, net_60m_bps, label_60m
        FROM signals
        """
    )
    op.execute(
        f"""
        CREATE VIEW v_daily_performance AS
        SELECT {_day("created_ms")} AS day, origin,
               count(*) AS signals,
               sum(CASE WHEN status = 'executed' THEN 1 ELSE 0 END) AS executed,
               avg(CASE WHEN label_5m IS NULL THEN NULL WHEN label_5m THEN 1.0 ELSE 0.0 END)
                   AS hit_rate_5m,
               avg(net_5m_bps) AS mean_net_5m_bps,
               avg(net_60m_bps) AS mean_net_60m_bps
        FROM signals
        GROUP BY 1, 2
        """
    )
    op.execute(
        f"""
        CREATE VIEW v_source_health_latest AS
        SELECT h.source, {_ts("h.ts_ms")} AS time, h.state, h.connected, h.msg_rate,
               h.errors, h.rate_limited, h.reconnects, h.latency_p50_ms, h.latency_p99_ms
        FROM source_health h
        JOIN (SELECT source, max(ts_ms) AS ts_ms FROM source_health GROUP BY source) last
          ON last.source = h.source AND last.ts_ms = h.ts_ms
        """
    )


def downgrade() -> None:
    for view in VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {view}")
