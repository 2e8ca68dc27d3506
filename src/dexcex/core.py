"""The pure core wired together: domain events in, (signal, risk decision) pairs out.

One ``Core`` holds, per watched asset, the order-flow trackers (per pool and merged),
the liquidity trackers (per pool), the volume–price analytics, the latest CEX book per
venue and the volatility regime — and runs the signal and risk layers when a trigger
fires. It reads time only from the clock it is given and does no I/O, so live runs,
replays, evaluations and benchmarks run exactly this code.

Triggers: order flow (imbalance, intensity, z-score and trade count all past their
thresholds) and liquidity drains (LPs pulling out fast: a bearish signal). Flow comes
from Birdeye's swaps where they arrive; DexScreener's flow deltas stand in for an asset
only while no swap has been seen for a minute, so one flow is never counted twice.
"""

from __future__ import annotations

from collections import Counter

import msgspec

from dexcex.analytics.liquidity import LiquidityReading, LiquidityTracker
from dexcex.analytics.orderflow import OrderFlow
from dexcex.analytics.volume_price import VolumePrice
from dexcex.config.core_settings import CoreSettings
from dexcex.domain import (
    Asset,
    CexTrade,
    Chain,
    Clock,
    DexFlowDelta,
    DexPrice,
    DexSwap,
    MarketEvent,
    OrderBook,
    PoolLiquidity,
    RiskDecision,
    Side,
    Signal,
    VenueId,
)
from dexcex.models.features import direction_sign
from dexcex.models.port import Scorer
from dexcex.risk.engine import RiskEngine
from dexcex.risk.regime import MarketRegime
from dexcex.risk.state import PoolState, PortfolioState
from dexcex.signals.baseline import CexMomentum
from dexcex.signals.engine import SignalEngine, Trigger

__all__ = ["AssetView", "Core", "CoreOutput"]

_SWAPS_SHADOW_MS = 60_000  # DexScreener flow is ignored this long after a Birdeye swap
_BUY = Side.BUY


class CoreOutput(msgspec.Struct, frozen=True):
    signal: Signal
    decision: RiskDecision


class AssetView(msgspec.Struct, frozen=True):
    """What the page's asset tile shows."""

    asset_id: str
    ts: int
    dex_price_usd: float | None
    cex_mid: float | None
    imbalance: float
    buy_usd: float
    sell_usd: float
    liquidity_usd: float | None
    liquidity_velocity_usd_s: float
    regime: str


class _Asset:
    __slots__ = (
        "asset",
        "books",
        "cex_mid",
        "chain",
        "dex_price",
        "flow",
        "last_dex_ts",
        "last_swap_ts",
        "liq",
        "liq_readings",
        "main_pool",
        "pool_created",
        "symbols",
        "vp",
    )

    def __init__(self, asset: Asset, s: CoreSettings) -> None:
        self.asset = asset
        self.chain: Chain = asset.dex[0].chain
        self.main_pool = asset.dex[0].pools[0].address
        self.flow = OrderFlow(asset.id, s.analytics.orderflow)
        self.vp = VolumePrice(asset.id, s.analytics.volume_price)
        self.liq: dict[str, LiquidityTracker] = {}
        self.liq_readings: dict[str, LiquidityReading] = {}
        self.pool_created: dict[str, int] = {}
        self.books: dict[VenueId, OrderBook] = {}
        self.symbols = {m.venue: m.symbol for m in asset.cex}
        self.last_dex_ts = 0
        self.last_swap_ts = 0
        self.dex_price: float | None = None
        self.cex_mid: float | None = None


class Core:
    def __init__(
        self,
        assets: list[Asset],
        settings: CoreSettings,
        clock: Clock,
        *,
        venue: VenueId = VenueId.MEXC,
        spot_only: bool = True,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.active_venue = venue
        self.spot_only = spot_only
        self._assets = {a.id: _Asset(a, settings) for a in assets}
        self._by_symbol: dict[tuple[VenueId, str], _Asset] = {}
        for st in self._assets.values():
            for v, sym in st.symbols.items():
                self._by_symbol[(v, sym)] = st
        self.signals = SignalEngine(settings.signals, settings.risk.taker_fee_bps)
        self.baseline = CexMomentum(
            settings.signals.baseline, settings.risk.taker_fee_bps, settings.signals.expiry_s
        )
        self.risk = RiskEngine(settings.risk)
        self.regime = MarketRegime(settings.risk)
        self.portfolio = PortfolioState()
        self.counters: Counter[str] = Counter()
        self._revert_bps = settings.analytics.orderflow.revert_bps
        # the active and shadow models (``models.port.Scorer``), loaded by the composition
        # root: each scores every DEX signal beside the rule
        self.scorers: list[Scorer] = []

    # --- wiring --------------------------------------------------------------------------------

    def add_asset(self, asset: Asset) -> None:
        """Watch one more asset (replays discover theirs as they go)."""
        if asset.id in self._assets:
            return
        st = self._assets[asset.id] = _Asset(asset, self.settings)
        for v, sym in st.symbols.items():
            self._by_symbol[(v, sym)] = st

    def asset_of_market(self, venue: VenueId, symbol: str) -> str | None:
        st = self._by_symbol.get((venue, symbol))
        return st.asset.id if st else None

    def set_active_venue(self, venue: VenueId) -> None:
        """Signals target this venue and read its book (the failover router decides)."""
        self.active_venue = venue

    def set_portfolio(self, portfolio: PortfolioState) -> None:
        self.portfolio = portfolio

    # --- events --------------------------------------------------------------------------------

    def on_event(self, ev: MarketEvent) -> CoreOutput | None:
        if isinstance(ev, DexSwap):
            return self.on_swap(ev)
        if isinstance(ev, OrderBook):
            return self.on_book(ev)
        if isinstance(ev, PoolLiquidity):
            return self.on_liquidity(ev)
        elif isinstance(ev, DexPrice):
            self.on_dex_price(ev)
        elif isinstance(ev, DexFlowDelta):
            return self.on_flow_delta(ev)
        elif isinstance(ev, CexTrade):
            self.counters["cex_trade"] += 1
        return None

    def on_swap(self, ev: DexSwap) -> CoreOutput | None:
        st = self._assets.get(ev.asset_id)
        if st is None:
            self.counters["unknown_asset"] += 1
            return None
        buy = ev.side is _BUY
        ts, usd, price, trader = ev.ts_event, ev.usd_value, ev.price_usd, ev.trader
        # reverting: this trade pulled a DEX price that sat away from the CEX mid back
        # towards it (selling a rich DEX or buying a cheap one)
        mid, dex = st.cex_mid, st.dex_price
        reverting = False
        if mid is not None and dex is not None:
            dev = dex / mid - 1.0
            reverting = not abs(dev) * 1e4 < self._revert_bps and (dev > 0) != buy
        if not st.flow.add(ts, ev.pool, buy, ev.base_amount, usd, trader, ev.tx_id, reverting):
            self.counters["swap_rejected"] += 1
            return None
        st.vp.add_trade(ts, buy, usd, price, trader, reverting)

        st.last_dex_ts = st.last_swap_ts = ts
        st.dex_price = price
        direction = st.flow.asset.direction()
        if not direction:
            return None
        return self._signal(st, direction, ts, ev.ts_recv, ev.source, ev.pool)

    def on_flow_delta(self, ev: DexFlowDelta) -> CoreOutput | None:
        st = self._assets.get(ev.asset_id)
        if st is None:
            self.counters["unknown_asset"] += 1
            return None
        if st.last_swap_ts and ev.ts_event - st.last_swap_ts < _SWAPS_SHADOW_MS:
            self.counters["flow_delta_shadowed"] += 1
            return None
        buys, sells = max(0, ev.buys), max(0, ev.sells)
        volume = max(0.0, ev.volume_usd)
        price = ev.price_usd or st.dex_price
        if buys + sells == 0 or volume <= 0 or not price:
            return None
        buy_usd = volume * buys / (buys + sells)
        for is_buy, usd in ((True, buy_usd), (False, volume - buy_usd)):
            if usd > 0:
                st.flow.add(ev.ts_event, ev.pool, is_buy, usd / price, usd, None, None)
                st.vp.add_trade(ev.ts_event, is_buy, usd, price, None)
        st.last_dex_ts = ev.ts_event
        st.dex_price = price
        fired, direction, _, _ = st.flow.asset.trigger_state()
        if not fired:
            return None
        return self._signal(st, direction, ev.ts_event, ev.ts_recv, ev.source, ev.pool)

    def on_book(self, ev: OrderBook) -> CoreOutput | None:
        """Keep the book; on the active venue also feed the mid-based analytics and the
        CEX-only baseline rule (whose signals come back from here)."""
        st = self._by_symbol.get((ev.venue, ev.symbol))
        if st is None:
            self.counters["unknown_market"] += 1
            return None
        st.books[ev.venue] = ev
        if ev.venue is not self.active_venue:
            return None
        mid = ev.mid
        st.cex_mid = mid
        if mid is None:
            return None
        st.vp.add_cex_mid(ev.ts_event, mid)
        self.regime.tracker(st.asset.id).add_mid(ev.ts_event, mid)
        # the lead–lag is due every `leadlag_every_s`: refresh it here, on the
        # book's clock, rather than on the path of a signal
        st.vp.lead_lag(ev.ts_event)
        notional = self.settings.risk.order_notional_usd
        now = self.clock.now_ms()
        base = self.baseline.on_book(st.asset.id, ev, self.spot_only, notional, now)
        if base is None:
            return None
        main_liq = self._liquidity_for(st, st.main_pool)
        pool_state = PoolState(
            liquidity_usd=main_liq.liquidity_usd if main_liq else None,
            created_ms=st.pool_created.get(st.main_pool),
        )
        regime = self.regime.state(st.asset.id)
        decision = self.risk.decide(base, ev, pool_state, regime, self.portfolio, now)
        self.counters["signal_cex_baseline"] += 1
        return CoreOutput(base, decision)

    def on_dex_price(self, ev: DexPrice) -> None:
        st = self._assets.get(ev.asset_id)
        if st is None:
            self.counters["unknown_asset"] += 1
            return
        st.vp.add_dex_price(ev.ts_event, ev.price_usd)
        if not st.last_swap_ts or ev.ts_event - st.last_swap_ts > _SWAPS_SHADOW_MS:
            st.dex_price = ev.price_usd
        st.last_dex_ts = max(st.last_dex_ts, ev.ts_event)

    def on_liquidity(self, ev: PoolLiquidity) -> CoreOutput | None:
        st = self._assets.get(ev.asset_id)
        if st is None:
            self.counters["unknown_asset"] += 1
            return None
        tracker = st.liq.get(ev.pool)
        if tracker is None:
            if len(st.liq) >= self.settings.analytics.orderflow.max_pools:
                self.counters["pool_over_cap"] += 1
                return None
            tracker = st.liq[ev.pool] = LiquidityTracker(ev.pool, self.settings.analytics.liquidity)

        if ev.pool_created_ms is not None:
            st.pool_created[ev.pool] = ev.pool_created_ms
        reading = tracker.update(ev.ts_event, ev.liquidity_usd, ev.base_reserve, ev.quote_reserve)
        if reading is None:
            return None
        was_drained = st.liq_readings.get(ev.pool)
        st.liq_readings[ev.pool] = reading
        if reading.drain and not (was_drained and was_drained.drain):
            self.counters["drain"] += 1
            return self._signal(st, -1, ev.ts_event, ev.ts_recv, ev.source, ev.pool)
        return None

    # --- signals -------------------------------------------------------------------------------

    def _liquidity_for(self, st: _Asset, pool: str | None) -> LiquidityReading | None:
        if pool is not None and pool in st.liq_readings:
            return st.liq_readings[pool]
        return st.liq_readings.get(st.main_pool) or next(iter(st.liq_readings.values()), None)

    def _signal(
        self, st: _Asset, direction: int, ts_event: int, ts_recv: int, source: str, pool: str | None
    ) -> CoreOutput | None:
        now = self.clock.now_ms()
        aid = st.asset.id
        if self.signals.cooling(aid, direction, now, source):
            return None
        venue = self.active_venue
        symbol = st.symbols.get(venue) or next(iter(st.symbols.values()))
        book = st.books.get(venue)
        liq = self._liquidity_for(st, pool)
        flow = st.flow.reading(now)
        if flow.direction != direction:  # a drain: the flow did not decide the direction
            flow = msgspec.structs.replace(flow, direction=direction)
        large = st.flow.large_threshold_usd()
        vp = st.vp.reading(now, liq.liquidity_usd if liq else None, large)
        regime = self.regime.state(aid)
        signal = self.signals.build(
            Trigger(
                asset_id=aid,
                venue=venue,
                symbol=symbol,
                spot_only=self.spot_only,
                ts=now,
                source=source,
                chain=st.chain,
                flow=flow,
                trigger_event_ts=ts_event,
                trigger_recv_ts=ts_recv,
                pool=pool,
                dex_price=st.dex_price,
                liquidity=liq,
                vp=vp,
                large_threshold_usd=large,
                book=book,
                regime=regime,
                last_dex_ts=st.last_dex_ts,
                notional_usd=self.settings.risk.order_notional_usd,
            )
        )
        main_liq = self._liquidity_for(st, st.main_pool)
        pool_state = PoolState(
            liquidity_usd=main_liq.liquidity_usd if main_liq else None,
            created_ms=st.pool_created.get(st.main_pool),
            drain=bool(liq and liq.drain),
            drawdown_pct=liq.drawdown_pct if liq else 0.0,
        )
        if self.scorers:
            d = direction_sign(signal.direction)  # as the dataset reads it back
            scores = {m.model_id: m.score(signal.features, d) for m in self.scorers}
            signal = msgspec.structs.replace(signal, model_scores=scores)
        decision = self.risk.decide(signal, book, pool_state, regime, self.portfolio, now)
        self.counters[f"signal_{signal.status.value}"] += 1
        return CoreOutput(signal, decision)

    # --- views ---------------------------------------------------------------------------------

    def asset_view(self, asset_id: str) -> AssetView | None:
        st = self._assets.get(asset_id)
        if st is None:
            return None
        now = self.clock.now_ms()
        w = st.flow.asset.window(self.settings.analytics.orderflow.trigger_window_s)
        book = st.books.get(self.active_venue)
        liq = self._liquidity_for(st, st.main_pool)
        return AssetView(
            asset_id=asset_id,
            ts=now,
            dex_price_usd=st.dex_price,
            cex_mid=book.mid if book else None,
            imbalance=w.imbalance,
            buy_usd=w.buy_usd,
            sell_usd=w.sell_usd,
            liquidity_usd=liq.liquidity_usd if liq else None,
            liquidity_velocity_usd_s=liq.velocity_usd_s if liq else 0.0,
            regime=self.regime.state(asset_id).regime.value,
        )

    @property
    def asset_ids(self) -> list[str]:
        return list(self._assets)
