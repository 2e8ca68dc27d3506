"""Aggressive (taker) DEX flow over rolling 10/20/30 s windows, per pool and per asset.

Per window: buy and sell volume (base and USD), trade counts, imbalance
``(B − S) / (B + S)`` in USD (0 when empty), and the share of USD volume from large
trades (above the asset's rolling ``large_trade_quantile`` of trade size, estimated from
an EWMA of log sizes). Against a slower baseline (EWMA, ``baseline_half_life_s``, rolled
once per second): the z-score of the trigger window's imbalance and the *intensity* —
window volume over what the baseline volume rate predicts for that window.

Trades that pull a DEX price which had drifted away from the CEX mid back towards it
(the caller, which knows both prices, marks them *reverting*) are arbitrage: they count
as volume but are kept out of the imbalance, the baseline and the large-trade share —
otherwise every informed push would be hidden by the arbitrageurs answering it.

A **trigger** fires when, on the trigger window, |imbalance| ≥ threshold, intensity ≥
threshold, |z| ≥ threshold and there were at least ``min_trades`` trades.

Rules for awkward input, stated once:
- non-finite or non-positive amounts: rejected and counted (``rejected``), never applied;
- a transaction id seen again: a duplicate, dropped and counted (``duplicates``);
- an event older than the tracker's second: applied to the current second (windows are
  second-bucketed; the pipeline re-orders within 250 ms first); older than
  ``max_late_s``: rejected and counted as late (``late``).
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from statistics import NormalDist

from dexcex.analytics.flow_readings import OrderFlowReading, WindowFlow
from dexcex.analytics.stats import Ewma, alpha_for
from dexcex.analytics.windows import SecondWindows
from dexcex.config.core_settings import OrderFlowSettings

__all__ = ["FlowTracker", "OrderFlow", "OrderFlowReading", "WindowFlow"]

# accumulator slots of SecondWindows
_BUY_USD, _SELL_USD, _BUY_BASE, _SELL_BASE, _N_BUY, _N_SELL, _LARGE_USD, _REVERT_USD = range(8)
_MIN_SIZE_SAMPLES = 30
_SIZE_ALPHA = 0.01  # EWMA weight of each trade's log size
_INF = math.inf


def _z_for(q: float) -> float:
    return NormalDist().inv_cdf(q)


class FlowTracker:
    """Windows and baselines of one flow (a pool, or an asset's pools merged)."""

    __slots__ = (
        "_imb",
        "_imb_thr",
        "_int_thr",
        "_longest",
        "_min_n",
        "_rate",
        "_rate_alpha",
        "_recent",
        "_span",
        "_z_thr",
        "key",
        "last_ts",
        "p",
        "spans",
        "trades",
        "w",
    )

    def __init__(self, key: str, p: OrderFlowSettings) -> None:
        self.key = key
        self.p = p
        self.spans = tuple(sorted(p.windows_s))
        self.w = SecondWindows(8, max(self.spans))
        self._imb = Ewma()  # trigger-window imbalance, sampled each second with volume
        self._rate = Ewma()  # USD volume per second
        self._rate_alpha = alpha_for(1.0, p.baseline_half_life_s)
        # (ts, buy, trader) of the trades with a known trader within the longest window,
        # newest last (and at most max_traders of them)
        self._recent: deque[tuple[int, bool, str]] = deque(maxlen=p.max_traders)
        self.last_ts = 0
        self.trades = 0
        # read on every event: kept here rather than looked up in the settings each time
        self._span = p.trigger_window_s
        self._longest = self.spans[-1]
        self._imb_thr, self._int_thr = p.imbalance_threshold, p.intensity_threshold
        self._z_thr, self._min_n = p.z_threshold, p.min_trades

    def copy(self, key: str) -> FlowTracker:
        """A tracker in this one's state, under another key (a pool split off its asset's)."""
        c = FlowTracker(key, self.p)
        c.w = self.w.copy()
        c._imb, c._rate = self._imb.copy(), self._rate.copy()
        c._recent.extend(self._recent)
        c.last_ts, c.trades = self.last_ts, self.trades
        return c

    def _roll(self, sec: int) -> None:
        """Close the current second: update the baselines, then move to ``sec``."""
        w = self.w
        if w.now_s < 0:
            w.advance(sec)
            return
        p = self.p
        prev = w.now_s
        prev_usd = w.sum(1, _BUY_USD) + w.sum(1, _SELL_USD)
        span = p.trigger_window_s
        b, s = w.sum(span, _BUY_USD), w.sum(span, _SELL_USD)
        n = w.sum(span, _N_BUY) + w.sum(span, _N_SELL)
        passed = w.advance(sec)
        if passed <= 0:
            return
        # baseline volume rate: the second just closed, then `passed - 1` empty seconds
        self._rate.update(prev_usd, self._rate_alpha)
        if passed > 1:
            decay = (1.0 - self._rate_alpha) ** (passed - 1)
            self._rate.mean *= decay
            self._rate.var *= decay
        # A window of one or two trades has an imbalance of ±1 by construction: only
        # windows with enough trades to mean something shape the imbalance baseline.
        if b + s > 0 and n >= p.min_trades:
            self._imb.update(
                (b - s) / (b + s), alpha_for(float(sec - prev), p.baseline_half_life_s)
            )

    def add(
        self,
        ts: int,
        buy: bool,
        base: float,
        usd: float,
        large: bool,
        trader: str | None,
        reverting: bool = False,
    ) -> None:
        w = self.w
        if ts // 1000 > w.now_s:
            self._roll(ts // 1000)
        cum = w.cum
        if ts > self.last_ts:  # noqa: PLR1730 (a call to max() per trade costs more)
            self.last_ts = ts
        self.trades += 1
        if reverting:  # pulls the DEX back to the CEX: arbitrage, not pressure
            cum[_REVERT_USD] += usd
            return
        if trader:  # a late trade lands in the current second here too
            recent = self._recent
            recent.append((max(ts, w.now_s * 1000), buy, trader))
            # only the longest window's trades are ever read: the rest can go
            horizon = (w.now_s - self._longest) * 1000
            while recent[0][0] < horizon:
                recent.popleft()
        if buy:
            cum[_BUY_USD] += usd
            cum[_BUY_BASE] += base
            cum[_N_BUY] += 1.0
        else:
            cum[_SELL_USD] += usd
            cum[_SELL_BASE] += base
            cum[_N_SELL] += 1.0
        if large:
            cum[_LARGE_USD] += usd

    def window(self, span: int) -> WindowFlow:
        s = self.w.sums(span)
        b, sl = s[_BUY_USD], s[_SELL_USD]
        tot = b + sl
        return WindowFlow(
            span,
            b,
            sl,
            s[_BUY_BASE],
            s[_SELL_BASE],
            int(s[_N_BUY]),
            int(s[_N_SELL]),
            (b - sl) / tot if tot > 0 else 0.0,
            s[_LARGE_USD] / tot if tot > 0 else 0.0,
            s[_REVERT_USD],
        )

    def wallets(self, span_s: int) -> tuple[int, float | None, float | None]:
        """(distinct buyers, buy concentration, sell concentration) over ``span_s``."""
        cutoff = (self.w.now_s - span_s + 1) * 1000
        buyers: set[str] = set()
        sellers: set[str] = set()
        n_buy = n_sell = 0
        for ts, buy, trader in reversed(self._recent):
            if ts < cutoff:
                break
            if buy:
                buyers.add(trader)
                n_buy += 1
            else:
                sellers.add(trader)
                n_sell += 1
        return (
            len(buyers),
            1.0 - len(buyers) / n_buy if n_buy else None,
            1.0 - len(sellers) / n_sell if n_sell else None,
        )

    def trigger_state(self) -> tuple[bool, int, float, float]:
        """(triggered, direction, imbalance z, intensity) on the trigger window."""
        span = self._span
        w = self.w
        cum, base = w.cum, w.base(span)
        b, s = cum[_BUY_USD] - base[_BUY_USD], cum[_SELL_USD] - base[_SELL_USD]
        tot = b + s
        if tot <= 0:
            return False, 0, 0.0, 0.0
        imb = (b - s) / tot
        expected = self._rate.mean * span
        intensity = tot / expected if expected > 0 else 0.0
        z = self._imb.z(imb)
        n = (cum[_N_BUY] - base[_N_BUY]) + (cum[_N_SELL] - base[_N_SELL])
        fired = (
            abs(imb) >= self._imb_thr
            and intensity >= self._int_thr
            and abs(z) >= self._z_thr
            and n >= self._min_n
        )
        return fired, (1 if imb > 0 else -1) if fired else 0, z, intensity

    def direction(self) -> int:
        """``trigger_state``'s direction alone (0: no trigger), its tests ordered to give
        up soonest and the same values computed the same way."""
        span = self._span
        w = self.w
        cum, base = w.cum, w.base(span)
        b, s = cum[_BUY_USD] - base[_BUY_USD], cum[_SELL_USD] - base[_SELL_USD]
        tot = b + s
        if (
            tot <= 0
            or not (cum[_N_BUY] - base[_N_BUY]) + (cum[_N_SELL] - base[_N_SELL]) >= self._min_n
        ):
            return 0
        imb = (b - s) / tot
        if not abs(imb) >= self._imb_thr:
            return 0
        expected = self._rate.mean * span
        if not (tot / expected if expected > 0 else 0.0) >= self._int_thr:
            return 0
        if not abs(self._imb.z(imb)) >= self._z_thr:
            return 0
        return 1 if imb > 0 else -1

    def reading(self, ts: int, with_traders: bool, key: str | None = None) -> OrderFlowReading:
        fired, direction, z, intensity = self.trigger_state()
        buyers: int | None = None
        buy_c = sell_c = None
        if with_traders:
            buyers, buy_c, sell_c = self.wallets(self.p.trigger_window_s)
        return OrderFlowReading(
            key=key or self.key,
            ts=ts,
            windows=tuple(self.window(s) for s in self.spans),
            trigger_span_s=self.p.trigger_window_s,
            imbalance_z=z,
            intensity=intensity,
            triggered=fired,
            direction=direction,
            distinct_buyers=buyers,
            buy_concentration=buy_c,
            sell_concentration=sell_c,
            baseline_usd_per_s=self._rate.mean,
        )

    @property
    def baseline_imbalance(self) -> Ewma:
        return self._imb


class OrderFlow:
    """All flow trackers of one asset: one per pool and one for the asset (pools merged).

    While an asset has traded in one pool only, that pool's tracker *is* the asset's (the
    same trades in the same order: the same state); the second pool splits it off."""

    __slots__ = (
        "_late_ms",
        "_seen",
        "_size_stats",
        "_solo",
        "_z_large",
        "asset",
        "duplicates",
        "has_traders",
        "late",
        "p",
        "pools",
        "rejected",
    )

    def __init__(self, asset_id: str, p: OrderFlowSettings) -> None:
        self.p = p
        self.asset = FlowTracker(asset_id, p)
        self.pools: dict[str, FlowTracker] = {}
        self._solo: str | None = None  # the one pool whose tracker is ``asset``
        self._size_stats = Ewma()
        self._z_large = _z_for(p.large_trade_quantile)
        self._late_ms = p.max_late_s * 1000
        self._seen: OrderedDict[str, None] = OrderedDict()
        self.rejected = 0
        self.duplicates = 0
        self.late = 0
        self.has_traders = False

    def large_threshold_usd(self) -> float:
        st = self._size_stats
        if st.n < _MIN_SIZE_SAMPLES:
            return math.inf
        return math.exp(st.mean + self._z_large * st.std)

    def add(
        self,
        ts: int,
        pool: str,
        buy: bool,
        base: float,
        usd: float,
        trader: str | None,
        tx_id: str | None,
        reverting: bool = False,
    ) -> bool:
        """Apply one taker trade; returns False if it was rejected (and counted).

        ``reverting``: the trade pulled the DEX price back towards the CEX (arbitrage); it
        counts as volume but not as pressure (see ``WindowFlow``)."""
        if not (0.0 < base < _INF and 0.0 < usd < _INF):  # NaN fails both too
            self.rejected += 1
            return False
        asset = self.asset
        if asset.last_ts and ts < asset.last_ts - self._late_ms:
            self.late += 1
            return False
        if tx_id is not None:
            seen = self._seen
            if tx_id in seen:
                self.duplicates += 1
                return False
            seen[tx_id] = None
            if len(seen) > self.p.dedup_size:
                seen.popitem(last=False)
        st = self._size_stats
        # usd >= large_threshold_usd(), inlined (this runs for every trade)
        large = st.n >= _MIN_SIZE_SAMPLES and usd >= math.exp(st.mean + self._z_large * st.std)
        st.update(math.log(usd), _SIZE_ALPHA)
        if trader:
            self.has_traders = True
        # late events land in the current second (the trackers never go back); a pool
        # past the cap counts in the asset's flow only
        if pool != self._solo:
            tracker = self._pool_tracker(pool)
            if tracker is not None:
                tracker.add(ts, buy, base, usd, large, trader, reverting)
        asset.add(ts, buy, base, usd, large, trader, reverting)
        return True

    def _pool_tracker(self, pool: str) -> FlowTracker | None:
        """The tracker of a pool other than the solo one (None: the asset's covers it)."""
        pools = self.pools
        if not pools:  # the asset's first pool: its tracker is the asset's
            self._solo = pool
            pools[pool] = self.asset
            return None
        if self._solo is not None:  # a second pool: the first gets its own tracker
            pools[self._solo] = self.asset.copy(self._solo)
            self._solo = None
        tracker = pools.get(pool)
        if tracker is None and len(pools) < self.p.max_pools:
            tracker = pools[pool] = FlowTracker(pool, self.p)
        return tracker

    def reading(self, ts: int, pool: str | None = None) -> OrderFlowReading:
        tracker = self.asset if pool is None else self.pools[pool]
        return tracker.reading(ts, with_traders=self.has_traders, key=pool)
