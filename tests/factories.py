"""Small builders of valid domain values for tests."""

from __future__ import annotations

from dexcex.domain import (
    CexContext,
    Chain,
    DexContext,
    Direction,
    Signal,
    SignalStatus,
    VenueId,
)

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
