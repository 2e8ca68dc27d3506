"""The configuration schema: every setting, its type, default and unit.

Sections grow with the layers that read them; a setting that no code reads does not
belong here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from dexcex.domain import (
    Asset,
    CexMarket,
    Chain,
    DexIdentity,
    DexPool,
    VenueId,
    normalize_address,
)

__all__ = [
    "ApiSettings",
    "AssetConfig",
    "BirdeyeSettings",
    "DexScreenerSettings",
    "ExecutionSettings",
    "LiveSettings",
    "LogSettings",
    "PipelineSettings",
    "SourcesSettings",
    "StoreSettings",
    "VenueSettings",
    "VenuesSettings",
    "default_data_dir",
]


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/dexcex`` (``~/.local/share/dexcex`` when unset)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "dexcex"


class _Section(BaseModel):
    # no inf or nan anywhere: an "infinite" cap is no cap
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class DexPoolConfig(_Section):
    dex: Annotated[str, Field(min_length=1, max_length=32)]
    address: str
    quote: Annotated[str, Field(min_length=1, max_length=16)]


class DexTokenConfig(_Section):
    chain: Chain
    token: str
    decimals: Annotated[int, Field(ge=0, le=36)]
    pools: Annotated[list[DexPoolConfig], Field(min_length=1)]


class AssetConfig(_Section):
    """One watched asset as written in the file; ``to_domain()`` gives the domain value."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
    symbol: Annotated[str, Field(min_length=1, max_length=20)]
    dex: Annotated[list[DexTokenConfig], Field(min_length=1)]
    cex: Annotated[dict[VenueId, str], Field(min_length=1)]

    @field_validator("dex")
    @classmethod
    def _addresses_valid(cls, v: list[DexTokenConfig]) -> list[DexTokenConfig]:
        for d in v:
            normalize_address(d.chain, d.token)
            for p in d.pools:
                normalize_address(d.chain, p.address)
        return v

    @field_validator("cex")
    @classmethod
    def _markets_valid(cls, v: dict[VenueId, str]) -> dict[VenueId, str]:
        for venue, symbol in v.items():
            CexMarket(venue=venue, symbol=symbol)
        return v

    def to_domain(self) -> Asset:
        return Asset(
            id=self.id,
            symbol=self.symbol,
            dex=tuple(
                DexIdentity(
                    chain=d.chain,
                    token_address=normalize_address(d.chain, d.token),
                    decimals=d.decimals,
                    pools=tuple(
                        DexPool(
                            dex=p.dex,
                            address=normalize_address(d.chain, p.address),
                            quote_symbol=p.quote,
                        )
                        for p in d.pools
                    ),
                )
                for d in self.dex
            ),
            cex=tuple(CexMarket(venue=v, symbol=s) for v, s in self.cex.items()),
        )


class VenueSettings(_Section):
    """One CEX venue. URLs left unset mean the real venue's (ccxt's defaults)."""

    enabled: bool = True
    rest_url: str | None = None
    ws_url: str | None = None
    api_key: SecretStr | None = None
    api_secret: SecretStr | None = None
    taker_fee_bps: Annotated[float, Field(ge=0, le=100)] = 10.0
    maker_fee_bps: Annotated[float, Field(ge=-10, le=100)] = 10.0
    timeout_s: Annotated[float, Field(gt=0, le=60)] = 10.0
    # ccxt's own request throttle (its model of the venue's limits) on top of ours; tests
    # against the simulator may switch it off, our limiter still applies.
    ccxt_throttle: bool = True
    # The venue's test network (ccxt sandbox mode): Bybit has one; MEXC has none.
    testnet: bool = False

    @property
    def has_keys(self) -> bool:
        return bool(
            self.api_key
            and self.api_secret
            and self.api_key.get_secret_value()
            and self.api_secret.get_secret_value()
        )


class MexcSettings(VenueSettings):
    # MEXC spot: 0 % maker, 0.05 % taker (published schedule, 2025).
    taker_fee_bps: Annotated[float, Field(ge=0, le=100)] = 5.0
    maker_fee_bps: Annotated[float, Field(ge=-10, le=100)] = 0.0

    @field_validator("testnet")
    @classmethod
    def _no_testnet(cls, v: bool) -> bool:
        if v:
            raise ValueError(
                "MEXC has no testnet: set venues.mexc.testnet = false, and try orders on "
                "the Bybit testnet (venues.bybit.testnet = true) or against `dexcex sim`"
            )
        return v


class BybitSettings(VenueSettings):
    # Bybit spot, non-VIP: 0.1 % maker and taker.
    taker_fee_bps: Annotated[float, Field(ge=0, le=100)] = 10.0
    maker_fee_bps: Annotated[float, Field(ge=-10, le=100)] = 10.0


class VenuesSettings(_Section):
    primary: VenueId = VenueId.MEXC
    mexc: MexcSettings = Field(default_factory=MexcSettings)
    bybit: BybitSettings = Field(default_factory=BybitSettings)

    def get(self, venue: VenueId) -> VenueSettings:
        return self.mexc if venue is VenueId.MEXC else self.bybit


class BirdeyeSettings(_Section):
    enabled: bool = True
    rest_url: str = "https://public-api.birdeye.so"
    ws_url: str = "wss://public-api.birdeye.so/socket"
    api_key: SecretStr | None = None
    plan: Literal["standard", "starter", "premium", "business", "enterprise"] = "business"
    liquidity_poll_s: Annotated[float, Field(gt=0, le=3600)] = 15.0


class DexScreenerSettings(_Section):
    enabled: bool = True
    rest_url: str = "https://api.dexscreener.com"
    poll_interval_s: Annotated[float, Field(gt=0, le=3600)] = 10.0


class SourcesSettings(_Section):
    birdeye: BirdeyeSettings = Field(default_factory=BirdeyeSettings)
    dexscreener: DexScreenerSettings = Field(default_factory=DexScreenerSettings)


class LiveSettings(_Section):
    """Live trading stays off unless ``enabled`` is true *and* the venue has API keys."""

    enabled: bool = False
    max_order_notional_usd: Annotated[float, Field(gt=0)] = 100.0
    max_daily_notional_usd: Annotated[float, Field(gt=0)] = 1000.0
    # false: a live order needs a click on the page; true: every approved signal trades
    auto_execute: bool = False


class PipelineSettings(_Section):
    """Streams, supervision, the bus and the recorder (``dexcex run``, ``record``, ``replay``)."""

    market: Literal["sim", "real"] = "sim"  # sim: start the simulator and connect to it
    sim_scenario: str = "default"
    sim_speed: Annotated[float, Field(gt=0, le=1000)] = 1.0
    backoff_initial_s: Annotated[float, Field(gt=0, le=60)] = 0.5
    backoff_max_s: Annotated[float, Field(gt=0, le=600)] = 30.0
    down_after_failures: Annotated[int, Field(ge=1, le=100)] = 5
    # no message for this long (market time) means a dead connection: reconnect
    stale_book_s: Annotated[float, Field(gt=0)] = 30.0  # a quiet book is not a dead one
    stale_trades_s: Annotated[float, Field(gt=0)] = 120.0
    stale_dex_ws_s: Annotated[float, Field(gt=0)] = 60.0
    reorder_ms: Annotated[int, Field(ge=0, le=10_000)] = 250
    market_queue: Annotated[int, Field(ge=100)] = 200_000
    control_queue: Annotated[int, Field(ge=10)] = 10_000
    book_check_s: Annotated[float, Field(ge=0)] = 60.0  # 0: no REST cross-check
    book_check_tolerance_bps: Annotated[float, Field(gt=0)] = 20.0
    record: bool = False  # `dexcex run` also records (``dexcex record`` always does)
    record_dir: Path | None = None  # default: <data_dir>/recordings
    record_flush_ms: Annotated[int, Field(ge=50, le=60_000)] = 1000
    record_raw: bool = False  # also keep every raw wire payload (raw-… files), to debug
    health_every_s: Annotated[float, Field(gt=0)] = 10.0  # health samples to the database
    # market = "sim": the description a running `dexcex sim` printed (JSON file) — connect
    # to that simulator instead of starting one (several processes, one market)
    sim_connect: Path | None = None


class ExecutionSettings(_Section):
    """Paper execution (and the exits of every position, paper or live)."""

    latency_ms: Annotated[int, Field(ge=0, le=60_000)] = 150  # signal → order at the venue
    latency_stress_ms: Annotated[int, Field(ge=0, le=60_000)] = 0  # added, to test fragility
    fee_stress: Annotated[float, Field(ge=1, le=10)] = 1.0  # multiplies the fee schedule
    take_profit_bps: Annotated[float, Field(gt=0)] = 80.0
    stop_loss_bps: Annotated[float, Field(gt=0)] = 50.0
    exit_after_s: Annotated[float, Field(gt=0)] = 900.0  # time exit
    # false: in the engine a paper trade takes a click, the same gesture as live; true:
    # every approved signal is paper-traded. (`dexcex paper` runs always trade them all.)
    auto_paper: bool = False
    # who trades by itself (models.guard): off, rules (= auto_paper true) or model (the
    # active model's top decile, only with walk-forward evidence); unset: auto_paper
    auto: Literal["off", "rules", "model"] | None = None
    auto_max_orders_per_hour: Annotated[int, Field(ge=1)] = 60
    # PSI of any watched feature past this pauses. Measured on a realistic simulated day
    # (docs/models.md): the same world's 500-signal windows reach 0.28, flows × 10 reach 8
    drift_psi: Annotated[float, Field(gt=0)] = 0.5
    drift_brier_margin: Annotated[float, Field(gt=0)] = 0.05  # rolling Brier over the card's
    drift_window: Annotated[int, Field(ge=10)] = 500  # signals (and outcomes) in the window
    drift_min_signals: Annotated[int, Field(ge=10)] = 500  # in the window before judging
    # the inputs whose PSI is watched, by name prefix: the DEX order flow. Regime inputs
    # (volatility, trends, lead-lag) move slowly by design, so a few hundred signals
    # always look unlike a day of training; the rolling Brier watches what they do
    drift_features: list[str] = Field(
        default_factory=lambda: [
            "w",
            "imbalance_z",
            "intensity",
            "baseline_usd_per_s",
            "distinct_buyers",
            "buy_concentration",
            "sell_concentration",
            "large_trade_usd",
            "accumulation",
            "surge",
        ]
    )

    def auto_mode(self) -> str:
        return self.auto or ("rules" if self.auto_paper else "off")


class AccuracyConfig(_Section):
    """Data accuracy (monitor.accuracy): a DEX source that agrees with the others in less
    than ``min_share`` of its recent samples is kept from signal generation until it
    recovers. 0 never excludes (the disagreement is still measured and shown)."""

    min_share: Annotated[float, Field(ge=0, le=1)] = 0.95
    window: Annotated[int, Field(ge=10)] = 200  # samples per source
    min_samples: Annotated[int, Field(ge=1)] = 20  # before any verdict


class AlertSettings(_Section):
    """Alert rules, their de-duplication, and where alerts go besides the log, the page
    and the ``alerts`` table."""

    enabled: bool = True
    down_after_s: Annotated[float, Field(ge=0)] = 5.0  # a source down this long: alert
    stale_after_s: Annotated[float, Field(ge=0)] = 10.0  # a feed stale this long: alert
    rate_limit_count: Annotated[int, Field(ge=1)] = 3  # this many 429s …
    error_burst_count: Annotated[int, Field(ge=1)] = 10  # … or errors …
    window_s: Annotated[float, Field(gt=0)] = 60.0  # … within this window: alert
    repeat_after_s: Annotated[float, Field(ge=0)] = 300.0  # the same alert again, at most
    webhook_url: SecretStr | None = None  # may hold a bot token: a secret
    webhook_format: Literal["generic", "slack", "telegram"] = "generic"
    telegram_chat_id: str | None = None
    webhook_timeout_s: Annotated[float, Field(gt=0, le=60)] = 5.0

    @field_validator("webhook_url", mode="before")
    @classmethod
    def _empty_is_none(cls, v: object) -> object:
        return None if v in ("", None) else v


class BusSettings(_Section):
    """Where normalized events travel: in this process (the default), or through Redis
    Streams between collector processes and one engine (``dexcex run --role …``)."""

    backend: Literal["memory", "redis"] = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"
    stream: str = "dexcex:events"
    group: str = "engine"
    consumer: str = "engine-1"  # keep it across restarts: its pending entries are re-read
    maxlen: Annotated[int, Field(ge=1000)] = 1_000_000  # the stream is trimmed to about this
    shard: str = "0/1"  # a collector's K/N (set by --shard): names its health on the page
    # a collector's own /metrics and /healthz on api.host (0: none; --metrics-port)
    metrics_port: Annotated[int, Field(ge=0, le=65535)] = 0
    # an engine's page also for `--role api` processes: its messages to Redis, their
    # clicks from it (--page-relay); off, an engine sends Redis nothing for the page
    page_relay: bool = False


class StoreSettings(_Section):
    """``url`` unset means SQLite (WAL) at ``<data_dir>/dexcex.sqlite3``."""

    url: str | None = None
    pool_size: Annotated[int, Field(ge=1, le=100)] = 5
    echo: bool = False
    # Retention in whole UTC days before today; unset keeps everything. Signals are the
    # dataset, so they are kept unless you say otherwise; health samples (one per source
    # every few seconds) are not worth keeping for long. PostgreSQL drops whole daily
    # partitions, SQLite deletes rows.
    retention_signals_days: Annotated[int, Field(ge=1)] | None = None
    retention_health_days: Annotated[int, Field(ge=1)] | None = 14
    prune_every_s: Annotated[float, Field(gt=0)] = 3600.0


class ApiSettings(_Section):
    """The One Glance page and API. Loopback only unless you say otherwise."""

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8000  # 0: any free port
    # at most one price per market per this many ms to the page (a cap for busy markets)
    price_every_ms: Annotated[int, Field(ge=0, le=10_000)] = 25
    # host names the page answers to besides 127.0.0.1, localhost and ::1 (DNS rebinding:
    # a request for any other Host is refused)
    allowed_hosts: list[str] = Field(default_factory=list)
    max_body_bytes: Annotated[int, Field(ge=1, le=1_048_576)] = 65_536
    ws_max_clients: Annotated[int, Field(ge=1, le=10_000)] = 50
    ws_max_message_bytes: Annotated[int, Field(ge=1, le=1_048_576)] = 4_096
    ws_max_messages_per_min: Annotated[int, Field(ge=1, le=100_000)] = 120
    ws_send_timeout_s: Annotated[float, Field(gt=0, le=60)] = 5.0  # then the client is dropped


class LogSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["auto", "console", "json"] = "auto"
