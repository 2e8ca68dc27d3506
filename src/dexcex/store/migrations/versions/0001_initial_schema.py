"""initial schema: signals, orders, fills, source_health, alerts

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies of the project's column types: a migration must not change when the
# application code does. Exact decimals are text on SQLite (no exact type there).
MONEY = sa.Numeric(38, 18).with_variant(sa.String(64), "sqlite")
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    _alerts()
    _fills()
    _orders()
    _signals()
    _source_health()


def _alerts() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ts_ms", sa.BigInteger(), nullable=False),
        sa.Column("rule", sa.String(length=48), nullable=False),
        sa.Column("severity", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("dedup_key", sa.String(length=128), nullable=False),
        sa.Column("cleared_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_dedup_key"), ["dedup_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_ts_ms"), ["ts_ms"], unique=False)


def _fills() -> None:
    op.create_table(
        "fills",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("client_order_id", sa.String(length=40), nullable=False),
        sa.Column("venue", sa.String(length=16), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("price", MONEY, nullable=False),
        sa.Column("qty", MONEY, nullable=False),
        sa.Column("fee", MONEY, nullable=False),
        sa.Column("fee_asset", sa.String(length=16), nullable=False),
        sa.Column("liquidity", sa.String(length=8), nullable=False),
        sa.Column("trade_id", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("event_ms", sa.BigInteger(), nullable=False),
        sa.Column("recv_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fills")),
    )
    with op.batch_alter_table("fills", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fills_client_order_id"), ["client_order_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_fills_event_ms"), ["event_ms"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_fills_venue_trade_id"), ["venue", "trade_id"], unique=True
        )


def _orders() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("client_order_id", sa.String(length=40), nullable=False),
        sa.Column("venue_order_id", sa.String(length=64), nullable=True),
        sa.Column("signal_id", sa.String(length=64), nullable=True),
        sa.Column("venue", sa.String(length=16), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("type", sa.String(length=8), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("qty", MONEY, nullable=False),
        sa.Column("price", MONEY, nullable=True),
        sa.Column("filled_qty", MONEY, nullable=False),
        sa.Column("avg_price", MONEY, nullable=True),
        sa.Column("fee_quote", MONEY, nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("sent_ms", sa.BigInteger(), nullable=True),
        sa.Column("ack_ms", sa.BigInteger(), nullable=True),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("client_order_id", name=op.f("uq_orders_client_order_id")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_signal_id"), ["signal_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_orders_status_created_ms"), ["status", "created_ms"], unique=False
        )


def _signal_columns_1() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.Column("asset_id", sa.String(length=32), nullable=False),
        sa.Column("venue", sa.String(length=16), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("priority", sa.Float(), nullable=False),
        sa.Column("expected_move_bps", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("executable", sa.Boolean(), nullable=False),
        sa.Column("expires_ms", sa.BigInteger(), nullable=True),
        sa.Column("trigger_event_ms", sa.BigInteger(), nullable=False),
        sa.Column("trigger_recv_ms", sa.BigInteger(), nullable=False),
        sa.Column("dex_chain", sa.String(length=16), nullable=True),
        sa.Column("dex_pool", sa.String(length=64), nullable=True),
        sa.Column("dex_price_usd", sa.Float(), nullable=True),
        sa.Column("imbalance", sa.Float(), nullable=True),
        sa.Column("buy_volume_usd", sa.Float(), nullable=True),
        sa.Column("sell_volume_usd", sa.Float(), nullable=True),
        sa.Column("window_s", sa.Integer(), nullable=True),
        sa.Column("liq_velocity", sa.Float(), nullable=True),
        sa.Column("liq_acceleration", sa.Float(), nullable=True),
        sa.Column("vp_score", sa.Float(), nullable=True),
        sa.Column("score_orderflow", sa.Float(), nullable=True),
        sa.Column("score_liquidity", sa.Float(), nullable=True),
        sa.Column("score_volume_price", sa.Float(), nullable=True),
        sa.Column("cex_bid", sa.Float(), nullable=True),
        sa.Column("cex_ask", sa.Float(), nullable=True),
        sa.Column("cex_mid", sa.Float(), nullable=True),
        sa.Column("cex_spread_bps", sa.Float(), nullable=True),
        sa.Column("cex_depth_bid_1pct", sa.Float(), nullable=True),
        sa.Column("cex_depth_ask_1pct", sa.Float(), nullable=True),
        sa.Column("cex_book_ms", sa.BigInteger(), nullable=True),
        sa.Column("risk_decision", sa.String(length=16), nullable=True),
        sa.Column("risk_size_base", sa.Float(), nullable=True),
        sa.Column("risk_notional_quote", sa.Float(), nullable=True),
        sa.Column("risk_slippage_bps", sa.Float(), nullable=True),
        sa.Column("risk_regime", sa.String(length=16), nullable=True),
        sa.Column("risk_reasons", JSON_DOC, nullable=True),
        sa.Column("order_client_id", sa.String(length=40), nullable=True),
        sa.Column("fill_price", MONEY, nullable=True),
    ]


def _signal_columns_2() -> list[sa.Column[Any]]:
    return [
        sa.Column("filled_qty", MONEY, nullable=True),
        sa.Column("fees_quote", MONEY, nullable=True),
        sa.Column("realized_slippage_bps", sa.Float(), nullable=True),
        sa.Column("lat_dex_to_signal_ms", sa.Integer(), nullable=True),
        sa.Column("lat_signal_to_order_ms", sa.Integer(), nullable=True),
        sa.Column("lat_order_to_ack_ms", sa.Integer(), nullable=True),
        sa.Column("ret_30s_bps", sa.Float(), nullable=True),
        sa.Column("ret_1m_bps", sa.Float(), nullable=True),
        sa.Column("ret_5m_bps", sa.Float(), nullable=True),
        sa.Column("ret_15m_bps", sa.Float(), nullable=True),
        sa.Column("ret_60m_bps", sa.Float(), nullable=True),
        sa.Column("net_30s_bps", sa.Float(), nullable=True),
        sa.Column("net_1m_bps", sa.Float(), nullable=True),
        sa.Column("net_5m_bps", sa.Float(), nullable=True),
        sa.Column("net_15m_bps", sa.Float(), nullable=True),
        sa.Column("net_60m_bps", sa.Float(), nullable=True),
        sa.Column("mfe_30s_bps", sa.Float(), nullable=True),
        sa.Column("mfe_1m_bps", sa.Float(), nullable=True),
        sa.Column("mfe_5m_bps", sa.Float(), nullable=True),
        sa.Column("mfe_15m_bps", sa.Float(), nullable=True),
        sa.Column("mfe_60m_bps", sa.Float(), nullable=True),
        sa.Column("mae_30s_bps", sa.Float(), nullable=True),
        sa.Column("mae_1m_bps", sa.Float(), nullable=True),
        sa.Column("mae_5m_bps", sa.Float(), nullable=True),
        sa.Column("mae_15m_bps", sa.Float(), nullable=True),
        sa.Column("mae_60m_bps", sa.Float(), nullable=True),
        sa.Column("label_30s", sa.Boolean(), nullable=True),
        sa.Column("label_1m", sa.Boolean(), nullable=True),
        sa.Column("label_5m", sa.Boolean(), nullable=True),
        sa.Column("label_15m", sa.Boolean(), nullable=True),
        sa.Column("label_60m", sa.Boolean(), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("features", JSON_DOC, nullable=False),
    ]


def _signals() -> None:
    op.create_table(
        "signals",
        *_signal_columns_1(),
        *_signal_columns_2(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signals")),
    )
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signals_asset_id_created_ms_id"),
            ["asset_id", "created_ms", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_signals_created_ms_id"), ["created_ms", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_signals_status_created_ms_id"),
            ["status", "created_ms", "id"],
            unique=False,
        )


def _source_health() -> None:
    op.create_table(
        "source_health",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ts_ms", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("connected", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("last_msg_age_ms", sa.BigInteger(), nullable=True),
        sa.Column("msg_rate", sa.Float(), nullable=False),
        sa.Column("errors", sa.BigInteger(), nullable=False),
        sa.Column("rate_limited", sa.BigInteger(), nullable=False),
        sa.Column("reconnects", sa.BigInteger(), nullable=False),
        sa.Column("rejected", sa.BigInteger(), nullable=False),
        sa.Column("latency_p50_ms", sa.Float(), nullable=True),
        sa.Column("latency_p99_ms", sa.Float(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_health")),
    )
    with op.batch_alter_table("source_health", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_source_health_source_ts_ms"), ["source", "ts_ms"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_source_health_ts_ms"), ["ts_ms"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("source_health", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_health_ts_ms"))
        batch_op.drop_index(batch_op.f("ix_source_health_source_ts_ms"))

    op.drop_table("source_health")
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signals_status_created_ms_id"))
        batch_op.drop_index(batch_op.f("ix_signals_created_ms_id"))
        batch_op.drop_index(batch_op.f("ix_signals_asset_id_created_ms_id"))

    op.drop_table("signals")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_status_created_ms"))
        batch_op.drop_index(batch_op.f("ix_orders_signal_id"))

    op.drop_table("orders")
    with op.batch_alter_table("fills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fills_venue_trade_id"))
        batch_op.drop_index(batch_op.f("ix_fills_event_ms"))
        batch_op.drop_index(batch_op.f("ix_fills_client_order_id"))

    op.drop_table("fills")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_ts_ms"))
        batch_op.drop_index(batch_op.f("ix_alerts_dedup_key"))

    op.drop_table("alerts")
