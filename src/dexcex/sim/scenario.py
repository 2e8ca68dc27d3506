"""Scenarios: what the simulated world looks like and which faults it throws, as TOML.

A scenario names the assets (the default configuration's, or N synthetic ones), the
rates of every process, the informed-flow lead/lag, the decoy share, volatility regimes,
the accounts that may trade, and a schedule of faults in market time.
"""

from __future__ import annotations

import hashlib
import tomllib
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dexcex.config import AssetConfig, load_settings
from dexcex.domain import ConfigError
from dexcex.sim.market.ids import address

__all__ = [
    "AccountSpec",
    "AssetSimParams",
    "Fault",
    "FaultKind",
    "InformedFlow",
    "MarketParams",
    "Realism",
    "Scenario",
    "available_scenarios",
    "load_scenario",
    "synthetic_assets",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Range = tuple[float, float]


class FaultKind(StrEnum):
    WS_DISCONNECT = "ws_disconnect"  # close every websocket of the target
    RATE_LIMIT = "rate_limit"  # REST answers 429 (+ Retry-After) for the duration
    SERVER_ERROR = "server_error"  # REST answers 5xx for the duration
    SLOW = "slow"  # REST answers after `delay_ms`
    STALE = "stale"  # the target's streams stop pushing (connection stays open)
    SEQ_GAP = "seq_gap"  # one order-book delta per symbol is skipped
    MALFORMED = "malformed"  # the next `count` frames are corrupted (variant chosen per frame)
    DUPLICATE = "duplicate"  # the next `count` frames are sent twice
    DOWN = "down"  # REST and websockets refuse everything for the duration


class Fault(_Model):
    """One scheduled fault. ``target`` is a venue or source: mexc, bybit, birdeye, dexscreener."""

    at_s: Annotated[float, Field(ge=0)]
    kind: FaultKind
    target: Literal["mexc", "bybit", "birdeye", "dexscreener"]
    duration_s: Annotated[float, Field(ge=0)] = 0.0
    count: Annotated[int, Field(ge=1)] = 1
    delay_ms: Annotated[int, Field(ge=0)] = 2000
    retry_after_s: Annotated[int, Field(ge=1)] = 2
    status: Annotated[int, Field(ge=500, le=599)] = 503


class Realism(_Model):
    """How closely the simulated venues behave like the real ones (docs/venues-reality.md).

    Every behaviour is on by default, so every test meets it; a test that needs a quiet
    venue switches one off in the scenario's ``[realism]`` table.
    """

    # Bybit /v5/order/realtime: orderId has priority over orderLinkId.
    order_id_priority: bool = True
    # MEXC answers -2013 "Order does not exist" to a query this soon after the create.
    unknown_after_create_ms: Annotated[int, Field(ge=0)] = 500
    # MEXC capital/config/getall needs the withdraw-read permission (else 700007).
    permission_gate: bool = True
    # Bybit: retCode 10006 with X-Bapi-Limit-* headers over a per-key endpoint limit …
    bybit_order_limit_per_s: Annotated[int, Field(ge=0)] = 20  # 0: no limit
    # … and HTTP 403 (an IP ban) over the IP limit of 600 requests per 5 s.
    bybit_ip_limit_per_5s: Annotated[int, Field(ge=0)] = 600  # 0: no ban
    bybit_ip_ban_s: Annotated[float, Field(ge=0)] = 600.0
    # Signed requests outside recvWindow of the venue's clock are refused; the venue's
    # clock runs ``clock_offset_ms`` ahead of this host's.
    recv_window: bool = True
    clock_offset_ms: int = 0
    # Websocket lifecycle: MEXC closes a connection after 30 s without a subscription,
    # 60 s without data (a PING counts), and at 24 h in any case; Bybit one that has not
    # pinged for 10 min. ``ws_time_scale`` divides every one (tests reach them in seconds).
    ws_lifecycle: bool = True
    mexc_ws_no_sub_s: Annotated[float, Field(gt=0)] = 30.0
    mexc_ws_no_data_s: Annotated[float, Field(gt=0)] = 60.0
    mexc_ws_max_age_s: Annotated[float, Field(gt=0)] = 86_400.0
    bybit_ws_no_ping_s: Annotated[float, Field(gt=0)] = 600.0
    ws_time_scale: Annotated[float, Field(gt=0)] = 1.0
    # Birdeye: several swaps in one transaction; DexScreener: pairs whose base token is
    # the quote side of the watched token.
    multi_swap_tx: bool = True
    inverted_pairs: bool = True

    @classmethod
    def quiet(cls) -> Realism:
        """Every behaviour off: a venue that never surprises."""
        return cls(
            order_id_priority=False,
            unknown_after_create_ms=0,
            permission_gate=False,
            bybit_order_limit_per_s=0,
            bybit_ip_limit_per_5s=0,
            recv_window=False,
            ws_lifecycle=False,
            multi_swap_tx=False,
            inverted_pairs=False,
        )


Regime = Literal["calm", "normal", "volatile"]


def _default_vol() -> dict[Regime, float]:
    return {"calm": 0.8, "normal": 1.6, "volatile": 4.0}


class MarketParams(_Model):
    book_interval_ms: Annotated[int, Field(ge=10, le=5000)] = 100
    book_levels: Annotated[int, Field(ge=5, le=200)] = 50
    cex_trade_rate_hz: Annotated[float, Field(gt=0)] = 3.0  # per venue and market
    dex_noise_rate_hz: Annotated[float, Field(gt=0)] = 0.4  # per pool
    dex_noise_usd_median: Annotated[float, Field(gt=0)] = 600.0
    arb_threshold_bps: Annotated[float, Field(ge=0)] = 60.0
    arb_delay_ms: Range = (1500.0, 5000.0)
    liquidity_events_per_hour: Annotated[float, Field(ge=0)] = 4.0
    # Volatility of the CEX mid in bps per sqrt(second), per regime, and regime switching.
    vol_bps: dict[Regime, float] = Field(default_factory=_default_vol)
    regime_mean_minutes: Annotated[float, Field(gt=0)] = 20.0
    venue_basis_bps: Annotated[float, Field(ge=0)] = 2.0  # Bybit mid vs MEXC mid, noise


class InformedFlow(_Model):
    """Bursts of aggressive DEX flow; informed ones may be followed by a CEX move."""

    bursts_per_hour: Annotated[float, Field(ge=0)] = 10.0
    decoy_share: Annotated[float, Field(ge=0, le=1)] = 0.35
    long_share: Annotated[float, Field(ge=0, le=1)] = 0.5  # of bursts, buying
    p_move: Annotated[float, Field(ge=0, le=1)] = 0.8
    move_bps: Range = (60.0, 180.0)
    move_duration_ms: Range = (2000.0, 8000.0)
    lag_ms: Range = (5000.0, 90000.0)
    burst_ms: Range = (10000.0, 30000.0)
    burst_trades_per_s: Annotated[float, Field(gt=0)] = 1.2
    burst_usd_median: Annotated[float, Field(gt=0)] = 2000.0
    smart_wallets: Annotated[int, Field(ge=1, le=50)] = 4
    drain_share: Annotated[float, Field(ge=0, le=1)] = 0.4  # bearish informed: LPs pull first
    drain_fraction: Range = (0.15, 0.35)
    # Who the informed are (the ``realistic`` scenario): a crowd of noise traders, some of
    # whom are informed; a burst is traded by a few of them, not by the same repeaters.
    noise_wallets: Annotated[int, Field(ge=1, le=100_000)] = 400
    informed_wallets: Annotated[int, Field(ge=1, le=100_000)] | None = None  # else smart_wallets
    informed_from_noise: bool = False  # the informed are drawn from the noise crowd
    wallets_per_burst: Annotated[int, Field(ge=1)] | None = None  # else all the informed
    p_move_range: Range | None = None  # per asset, drawn once; else p_move for all

    @model_validator(mode="after")
    def _ranges_ordered(self) -> InformedFlow:
        for name in ("move_bps", "move_duration_ms", "lag_ms", "burst_ms", "drain_fraction"):
            lo, hi = getattr(self, name)
            if lo > hi:
                raise ValueError(f"{name}: low {lo} > high {hi}")
        if self.p_move_range and not 0 <= self.p_move_range[0] <= self.p_move_range[1] <= 1:
            raise ValueError(f"p_move_range {self.p_move_range}: expected 0 <= low <= high <= 1")
        return self


class AssetSimParams(_Model):
    """Per-asset starting state; anything unset is derived from the asset's defaults."""

    price_usd: Annotated[float, Field(gt=0)]
    pool_liquidity_usd: Annotated[float, Field(gt=0)] = 2_000_000.0
    book_depth_usd: Annotated[float, Field(gt=0)] = 25_000.0  # quote per side within ~1 %
    spread_bps: Annotated[float, Field(gt=0)] = 6.0


# A key's permissions, by what they allow (each venue has its own names for them).
Permission = Literal["read", "trade", "withdraw"]


class AccountSpec(_Model):
    api_key: str
    api_secret: str
    # Trade-only by default, as a trading bot's key should be.
    permissions: tuple[Permission, ...] = ("read", "trade")
    balances: dict[str, float] = Field(default_factory=lambda: {"USDT": 100_000.0})


# Plausible late-2026 levels; the simulator needs a scale, not a forecast.
_DEFAULT_PRICES = {
    "wif": 1.20,
    "bonk": 0.000021,
    "popcat": 0.42,
    "pepe": 0.0000105,
    "cake": 2.40,
    "pol": 0.24,
}
QUOTE_USD = {"SOL": 150.0, "WETH": 3200.0, "WBNB": 620.0, "USDC": 1.0, "USDT": 1.0}


class Scenario(_Model):
    name: str
    description: str = ""
    seed: int = 7
    start_ms: int = 1_767_225_600_000  # 2026-01-01T00:00Z, for virtual time
    # "default": the configured assets; N: N synthetic ones; a list: those configured ids
    assets: Literal["default"] | Annotated[int, Field(ge=1, le=1000)] | list[str] = "default"
    market: MarketParams = Field(default_factory=MarketParams)
    informed: InformedFlow = Field(default_factory=InformedFlow)
    asset_params: dict[str, AssetSimParams] = Field(default_factory=dict)
    accounts: list[AccountSpec] = Field(
        default_factory=lambda: [AccountSpec(api_key="sim-key", api_secret="sim-secret")]
    )
    dexscreener_rate_per_min: Annotated[int, Field(ge=1)] = 300
    birdeye_rate_per_s: Annotated[int, Field(ge=1)] = 100
    faults: list[Fault] = Field(default_factory=list)
    realism: Realism = Field(default_factory=Realism)

    def asset_configs(self) -> list[AssetConfig]:
        """The watched assets: the default configuration's, or ``assets`` synthetic ones."""
        if self.assets == "default":
            return list(load_settings().assets)
        if isinstance(self.assets, list):
            configured = {a.id: a for a in load_settings().assets}
            missing = [a for a in self.assets if a not in configured]
            if missing:
                raise ConfigError(f"scenario {self.name}: unknown assets {missing}")
            return [configured[a] for a in self.assets]
        return synthetic_assets(self.assets, self.seed)

    def params_for(self, asset_id: str) -> AssetSimParams:
        if asset_id in self.asset_params:
            return self.asset_params[asset_id]
        if asset_id in _DEFAULT_PRICES:
            return AssetSimParams(price_usd=_DEFAULT_PRICES[asset_id])
        h = int(hashlib.sha256(f"{self.seed}:{asset_id}".encode()).hexdigest()[:8], 16)
        price = 10 ** (-5 + (h % 1000) / 1000 * 6)  # 1e-5 .. 10 USD, log-uniform
        return AssetSimParams(price_usd=price, pool_liquidity_usd=500_000 + (h % 5) * 500_000)


def synthetic_assets(n: int, seed: int) -> list[AssetConfig]:
    """``n`` made-up Solana/EVM tokens with deterministic addresses (for load scenarios)."""
    chains = ["solana", "ethereum", "bsc", "polygon"]
    quotes = {"solana": "SOL", "ethereum": "WETH", "bsc": "WBNB", "polygon": "USDC"}
    out: list[AssetConfig] = []
    for i in range(n):
        chain = chains[i % 4]
        token = address(chain, f"synthetic-token:{seed}:{i}")
        pool = address(chain, f"synthetic-pool:{seed}:{i}")
        symbol = f"SY{i:03d}"
        out.append(
            AssetConfig.model_validate(
                {
                    "id": f"sy{i:03d}",
                    "symbol": symbol,
                    "cex": {"mexc": f"{symbol}/USDT", "bybit": f"{symbol}/USDT"},
                    "dex": [
                        {
                            "chain": chain,
                            "token": token,
                            "decimals": 9 if chain == "solana" else 18,
                            "pools": [{"dex": "simswap", "address": pool, "quote": quotes[chain]}],
                        }
                    ],
                }
            )
        )
    return out


def _scenario_dir() -> Path:
    return Path(str(resources.files("dexcex.sim") / "scenarios"))


def available_scenarios() -> list[str]:
    return sorted(p.stem for p in _scenario_dir().glob("*.toml"))


def load_scenario(name_or_path: str | Path, *, seed: int | None = None) -> Scenario:
    """A packaged scenario by name (``default``, ``calm`` …) or a TOML file by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = _scenario_dir() / f"{name_or_path}.toml"
        if not path.is_file():
            known = ", ".join(available_scenarios())
            raise ConfigError(f"scenario {name_or_path!r} not found; available: {known}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read scenario: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    if seed is not None:
        data["seed"] = seed
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']}") from None
