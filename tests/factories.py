"""Small builders of valid domain values for tests."""

from __future__ import annotations

from dexcex.analytics.orderflow import OrderFlowReading, WindowFlow
from dexcex.analytics.volume_price import LeadLag, VolumePriceReading
from dexcex.domain import (
    Asset,
    BookLevel,
    CexContext,
    CexMarket,
    Chain,
    DexContext,
    DexIdentity,
    DexPool,
    Direction,
    OrderBook,
    Regime,
    Signal,
    SignalStatus,
    VenueId,
)
from dexcex.risk.regime import RegimeState
from dexcex.sim.market.ids import address

T0 = 1_700_000_000_000


def make_signal(i: int = 0, *, ts: int | None = None, asset: str = "wif", **kw: object) -> Signal:
    base: dict[str, object] = dict(
        id=f"sig-{i:08d}",
        ts=ts if ts is not None else T0 + i * 1000,
        asset_id=asset,
        venue=VenueId.MEXC,
        symbol="WIF/USDT",
        direction=Direction.LONG,
        confidence=0.7,
        expected_move_bps=45.0,
        priority=3.2,
        status=SignalStatus.NEW,
        executable=True,
        trigger_ts_event=T0 + i * 1000 - 300,
        trigger_ts_recv=T0 + i * 1000 - 250,
        dex=DexContext(
            chain=Chain.SOLANA,
            pool="EP2ib6dYdEeqD8MfE2ezHCxX3kP3K2eLKkirfPm5eyMx",
            dex_price_usd=2.51,
            imbalance=0.62,
            buy_volume_usd=52_000.0,
            sell_volume_usd=12_000.0,
            window_s=20,
            liquidity_velocity=-120.5,
            liquidity_acceleration=3.2,
            volume_price_score=1.4,
            scores={"orderflow": 2.9, "liquidity": 0.4, "volume_price": 1.4},
        ),
        cex=CexContext(
            bid=2.498,
            ask=2.502,
            mid=2.5,
            spread_bps=16.0,
            depth_bid_1pct=41_000.0,
            depth_ask_1pct=39_000.0,
            book_ts=T0 + i * 1000 - 100,
        ),
        features={"imbalance_z": 3.1, "large_share": 0.4},
    )
    base.update(kw)
    return Signal(**base)  # type: ignore[arg-type]


def make_asset(asset_id: str = "wif", pool: str | None = None) -> Asset:
    pool = pool or address(Chain.SOLANA, f"pool:{asset_id}")
    return Asset(
        id=asset_id,
        symbol=asset_id.upper(),
        dex=(
            DexIdentity(
                chain=Chain.SOLANA,
                token_address=address(Chain.SOLANA, f"token:{asset_id}"),
                decimals=6,
                pools=(DexPool(dex="raydium", address=pool, quote_symbol="SOL"),),
            ),
        ),
        cex=(
            CexMarket(venue=VenueId.MEXC, symbol=f"{asset_id.upper()}/USDT"),
            CexMarket(venue=VenueId.BYBIT, symbol=f"{asset_id.upper()}/USDT"),
        ),
    )


def make_book(
    mid: float = 100.0,
    *,
    ts: int = T0,
    spread_bps: float = 10.0,
    levels: int = 10,
    size: float = 50.0,
    step_bps: float = 5.0,
    venue: VenueId = VenueId.MEXC,
    symbol: str = "WIF/USDT",
) -> OrderBook:
    """A symmetric book: ``levels`` levels of ``size`` each side, ``step_bps`` apart."""
    half = mid * spread_bps / 2e4
    step = mid * step_bps / 1e4
    bids = tuple(BookLevel(mid - half - i * step, size) for i in range(levels))
    asks = tuple(BookLevel(mid + half + i * step, size) for i in range(levels))
    return OrderBook(venue, symbol, bids, asks, 1, ts, ts + 5)


def make_flow_reading(
    direction: int = 1, *, ts: int = T0, z: float = 2.0, imbalance: float = 0.8
) -> OrderFlowReading:
    buy, sell = (9000.0, 1000.0) if direction > 0 else (1000.0, 9000.0)
    windows = tuple(
        WindowFlow(span, buy, sell, buy / 2, sell / 2, 9, 1, imbalance * direction, 0.2, 0.0)
        for span in (10, 20, 30)
    )
    return OrderFlowReading(
        key="wif",
        ts=ts,
        windows=windows,
        trigger_span_s=20,
        imbalance_z=z * direction,
        intensity=3.0,
        triggered=True,
        direction=direction,
        distinct_buyers=None,
        buy_concentration=None,
        sell_concentration=None,
        baseline_usd_per_s=100.0,
    )


def make_vp_reading(
    *,
    ts: int = T0,
    accumulation: float = 0.0,
    smart_money: float | None = None,
    lead: LeadLag | None = None,
) -> VolumePriceReading:
    return VolumePriceReading("wif", ts, 2.0, 5.0, 20.0, 0.3, accumulation, smart_money, lead)


def make_regime(
    vol: float = 2.0, *, regime: Regime = Regime.NORMAL, market_trend: float = 0.0
) -> RegimeState:
    return RegimeState(regime, vol, 0.0, vol, market_trend, 600)
