"""SQLAlchemy ORM models. These are storage rows, not domain types: the repositories
convert between the two, and nothing outside ``store/`` sees a row.

Times are integer milliseconds UTC (``*_ms``); prices and sizes we own are exact
decimals (``Money``); observed market figures are floats; bps = basis points.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from dexcex.store.types import JsonDoc, Money

__all__ = [
    "HORIZONS",
    "AlertRow",
    "Base",
    "EngineStateRow",
    "FillRow",
    "ModelRow",
    "OrderRow",
    "SignalRow",
    "SourceHealthRow",
]

# Outcome horizons of every signal: column suffix -> seconds.
HORIZONS: dict[str, int] = {"30s": 30, "1m": 60, "5m": 300, "15m": 900, "60m": 3600}

_NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=_NAMING)


class SignalRow(Base):
    """One signal with everything known about it, filled in over its life.

    Written at creation (identity, DEX side, CEX side, scores), then updated by risk,
    execution and labeling. ``features`` keeps the full feature vector as JSON so a new
    feature needs no migration.

    On PostgreSQL the table is partitioned by UTC day on ``created_ms`` (migration 0004,
    ``store/partitions.py``), so its primary key there is (id, created_ms); the id alone
    stays unique, as it embeds the creation time, and is what the ORM keys rows by.
    """

    __tablename__ = "signals"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    updated_ms: Mapped[int] = mapped_column(BigInteger)
    asset_id: Mapped[str] = mapped_column(String(32))
    venue: Mapped[str] = mapped_column(String(16))
    symbol: Mapped[str] = mapped_column(String(32))
    origin: Mapped[str] = mapped_column(String(16), default="dex")
    direction: Mapped[str] = mapped_column(String(8))
    confidence: Mapped[float] = mapped_column(Float)
    priority: Mapped[float] = mapped_column(Float)
    expected_move_bps: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(24))
    status_reason: Mapped[str | None] = mapped_column(Text)
    executable: Mapped[bool] = mapped_column(Boolean)
    expires_ms: Mapped[int | None] = mapped_column(BigInteger)
    # the wall time the live engine built it (NULL in virtual time); ``created_ms`` is the
    # events' time (migration 0008)
    wall_ms: Mapped[int | None] = mapped_column(BigInteger)

    # DEX side at signal time
    trigger_event_ms: Mapped[int] = mapped_column(BigInteger)
    trigger_recv_ms: Mapped[int] = mapped_column(BigInteger)
    dex_chain: Mapped[str | None] = mapped_column(String(16))
    dex_pool: Mapped[str | None] = mapped_column(String(64))
    dex_price_usd: Mapped[float | None] = mapped_column(Float)
    imbalance: Mapped[float | None] = mapped_column(Float)
    buy_volume_usd: Mapped[float | None] = mapped_column(Float)
    sell_volume_usd: Mapped[float | None] = mapped_column(Float)
    window_s: Mapped[int | None] = mapped_column(Integer)
    liq_velocity: Mapped[float | None] = mapped_column(Float)
    liq_acceleration: Mapped[float | None] = mapped_column(Float)
    vp_score: Mapped[float | None] = mapped_column(Float)
    score_orderflow: Mapped[float | None] = mapped_column(Float)
    score_liquidity: Mapped[float | None] = mapped_column(Float)
    score_volume_price: Mapped[float | None] = mapped_column(Float)

    # CEX side at signal time
    cex_bid: Mapped[float | None] = mapped_column(Float)
    cex_ask: Mapped[float | None] = mapped_column(Float)
    cex_mid: Mapped[float | None] = mapped_column(Float)
    cex_spread_bps: Mapped[float | None] = mapped_column(Float)
    cex_depth_bid_1pct: Mapped[float | None] = mapped_column(Float)
    cex_depth_ask_1pct: Mapped[float | None] = mapped_column(Float)
    cex_book_ms: Mapped[int | None] = mapped_column(BigInteger)

    # Risk
    risk_decision: Mapped[str | None] = mapped_column(String(16))
    risk_size_base: Mapped[float | None] = mapped_column(Float)
    risk_notional_quote: Mapped[float | None] = mapped_column(Float)
    risk_slippage_bps: Mapped[float | None] = mapped_column(Float)
    risk_regime: Mapped[str | None] = mapped_column(String(16))
    risk_reasons: Mapped[list[str] | None] = mapped_column(JsonDoc)

    # Execution
    order_client_id: Mapped[str | None] = mapped_column(String(40))
    fill_price: Mapped[Decimal | None] = mapped_column(Money)
    filled_qty: Mapped[Decimal | None] = mapped_column(Money)
    fees_quote: Mapped[Decimal | None] = mapped_column(Money)
    realized_slippage_bps: Mapped[float | None] = mapped_column(Float)
    lat_dex_to_signal_ms: Mapped[int | None] = mapped_column(Integer)
    lat_signal_to_order_ms: Mapped[int | None] = mapped_column(Integer)
    lat_order_to_ack_ms: Mapped[int | None] = mapped_column(Integer)

    # Outcomes (labeling): per horizon, CEX mid return, net-of-cost return, excursions, label
    ret_30s_bps: Mapped[float | None] = mapped_column(Float)
    ret_1m_bps: Mapped[float | None] = mapped_column(Float)
    ret_5m_bps: Mapped[float | None] = mapped_column(Float)
    ret_15m_bps: Mapped[float | None] = mapped_column(Float)
    ret_60m_bps: Mapped[float | None] = mapped_column(Float)
    net_30s_bps: Mapped[float | None] = mapped_column(Float)
    net_1m_bps: Mapped[float | None] = mapped_column(Float)
    net_5m_bps: Mapped[float | None] = mapped_column(Float)
    net_15m_bps: Mapped[float | None] = mapped_column(Float)
    net_60m_bps: Mapped[float | None] = mapped_column(Float)
    mfe_30s_bps: Mapped[float | None] = mapped_column(Float)
    mfe_1m_bps: Mapped[float | None] = mapped_column(Float)
    mfe_5m_bps: Mapped[float | None] = mapped_column(Float)
    mfe_15m_bps: Mapped[float | None] = mapped_column(Float)
    mfe_60m_bps: Mapped[float | None] = mapped_column(Float)
    mae_30s_bps: Mapped[float | None] = mapped_column(Float)
    mae_1m_bps: Mapped[float | None] = mapped_column(Float)
    mae_5m_bps: Mapped[float | None] = mapped_column(Float)
    mae_15m_bps: Mapped[float | None] = mapped_column(Float)
    mae_60m_bps: Mapped[float | None] = mapped_column(Float)
    label_30s: Mapped[bool | None] = mapped_column(Boolean)
    label_1m: Mapped[bool | None] = mapped_column(Boolean)
    label_5m: Mapped[bool | None] = mapped_column(Boolean)
    label_15m: Mapped[bool | None] = mapped_column(Boolean)
    label_60m: Mapped[bool | None] = mapped_column(Boolean)
    outcome_note: Mapped[str | None] = mapped_column(Text)  # why an outcome is null

    features: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    # model id → its calibrated probability, for the active and shadow models (0006)
    model_scores: Mapped[dict[str, float] | None] = mapped_column(JsonDoc)

    __table_args__ = (
        # One Glance: latest N signals (keyset paging on created_ms, id).
        Index(None, "created_ms", "id"),
        # Filtered by asset, newest first.
        Index(None, "asset_id", "created_ms", "id"),
        # Filtered by status, newest first; also the labeler's "pending outcomes" scan.
        Index(None, "status", "created_ms", "id"),
    )


class OrderRow(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    client_order_id: Mapped[str] = mapped_column(String(40), unique=True)
    venue_order_id: Mapped[str | None] = mapped_column(String(64))
    signal_id: Mapped[str | None] = mapped_column(String(64), index=True)
    venue: Mapped[str] = mapped_column(String(16))
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(4))
    type: Mapped[str] = mapped_column(String(8))
    mode: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(20))
    qty: Mapped[Decimal] = mapped_column(Money)
    price: Mapped[Decimal | None] = mapped_column(Money)
    filled_qty: Mapped[Decimal] = mapped_column(Money)
    avg_price: Mapped[Decimal | None] = mapped_column(Money)
    fee_quote: Mapped[Decimal] = mapped_column(Money)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    sent_ms: Mapped[int | None] = mapped_column(BigInteger)
    ack_ms: Mapped[int | None] = mapped_column(BigInteger)
    updated_ms: Mapped[int] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)  # e.g. why it went to the backup venue
    leg: Mapped[str] = mapped_column(String(8), default="entry")  # entry | exit

    __table_args__ = (Index(None, "status", "created_ms"),)


class FillRow(Base):
    __tablename__ = "fills"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    client_order_id: Mapped[str] = mapped_column(String(40), index=True)
    venue: Mapped[str] = mapped_column(String(16))
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(4))
    price: Mapped[Decimal] = mapped_column(Money)
    qty: Mapped[Decimal] = mapped_column(Money)
    fee: Mapped[Decimal] = mapped_column(Money)
    fee_asset: Mapped[str] = mapped_column(String(16))
    liquidity: Mapped[str] = mapped_column(String(8))
    trade_id: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(8))
    event_ms: Mapped[int] = mapped_column(BigInteger, index=True)
    recv_ms: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index(None, "venue", "trade_id", unique=True),)


class SourceHealthRow(Base):
    """One health sample of one source. Partitioned by UTC day on ``ts_ms`` on PostgreSQL
    (primary key (id, ts_ms) there), like ``signals``."""

    __tablename__ = "source_health"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ts_ms: Mapped[int] = mapped_column(BigInteger, index=True)
    source: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    connected: Mapped[bool] = mapped_column(Boolean)
    active: Mapped[bool] = mapped_column(Boolean)
    last_msg_age_ms: Mapped[int | None] = mapped_column(BigInteger)
    msg_rate: Mapped[float] = mapped_column(Float)
    errors: Mapped[int] = mapped_column(BigInteger)
    rate_limited: Mapped[int] = mapped_column(BigInteger)
    reconnects: Mapped[int] = mapped_column(BigInteger)
    rejected: Mapped[int] = mapped_column(BigInteger)
    latency_p50_ms: Mapped[float | None] = mapped_column(Float)
    latency_p99_ms: Mapped[float | None] = mapped_column(Float)
    detail: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index(None, "source", "ts_ms"),)


class AlertRow(Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ts_ms: Mapped[int] = mapped_column(BigInteger, index=True)
    rule: Mapped[str] = mapped_column(String(48))
    severity: Mapped[str] = mapped_column(String(12))
    source: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    dedup_key: Mapped[str] = mapped_column(String(128), index=True)
    cleared_ms: Mapped[int | None] = mapped_column(BigInteger)


class EngineStateRow(Base):
    """Small pieces of engine state that must outlive a restart (the kill switch): one
    JSON document per key."""

    __tablename__ = "engine_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    updated_ms: Mapped[int] = mapped_column(BigInteger)


class RejectedRow(Base):
    """A write the journal set aside: it conflicted with what the database already held
    (same key, different content). Kept whole for a person to inspect; the rest of its
    batch was written."""

    __tablename__ = "rejected_rows"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    created_ms: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(16))  # order | fill
    key: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDoc)


class ModelRow(Base):
    """A trained model in the registry: its card, where its file is and the file's
    SHA-256 (checked before every load), and its status: candidate, shadow, active or
    retired."""

    __tablename__ = "models"

    id: Mapped[str] = mapped_column(String(96), primary_key=True)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    updated_ms: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), index=True)
    learner: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    card: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
