"""Volume against price: surges, absorption, accumulation, smart money, and DEX→CEX lead.

- **surge**: USD volume over ``surge_window_s`` ÷ what the baseline rate (EWMA per
  second, ``baseline_half_life_s``) predicts for that window;
- **absorption** (0..1): a surge whose price barely moved. The move a constant-product
  pool *should* make for a net flow N into liquidity L is ≈ 4·N/L (both reserves count
  in L); absorption = 1 − |actual| ÷ |expected|, clipped, scaled by how big the surge is;
- **accumulation** (−1..1): signed USD volume ÷ USD volume over
  ``accumulation_window_s`` (an OBV normalised to the window);
- **smart money** (−1..1): net buying of repeat wallets (≥ ``repeat_wallet_trades``
  trades in the last ``smart_window_s``) plus trades above the large-trade threshold,
  ÷ that window's volume — informed flow tends to come from a few wallets trading
  again and again, noise from many wallets trading once;

- **lead-lag**: cross-correlation of 1 s returns of the DEX price and the CEX mid over
  lags −``leadlag_max_lag_s``…+``leadlag_max_lag_s`` on the last ``leadlag_window_s``
  seconds, recomputed every ``leadlag_every_s``; a positive best lag means the DEX has
  been moving *before* the CEX by that many seconds.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque

import msgspec
import numpy as np

from dexcex.analytics.stats import Ewma, alpha_for
from dexcex.analytics.windows import SecondWindows
from dexcex.config.core_settings import VolumePriceSettings

__all__ = ["LeadLag", "VolumePrice", "VolumePriceReading"]

_BUY, _SELL, _REVERT = 0, 1, 2
_WALLET_TRADES = 64  # per wallet, newest kept


class LeadLag(msgspec.Struct, frozen=True):
    best_lag_s: int  # > 0: DEX leads CEX
    best_corr: float
    corr_at_zero: float
    samples: int
    significant: bool  # |best corr| above 2/sqrt(samples)


class VolumePriceReading(msgspec.Struct, frozen=True):
    asset_id: str
    ts: int
    surge: float
    price_change_bps: float
    expected_impact_bps: float
    absorption: float
    accumulation: float
    smart_money: float | None
    lead: LeadLag | None


class _Bars:
    """Last value per second over a fixed span (forward-filled), in a ring."""

    __slots__ = ("_ring", "_size", "filled", "now_s")

    def __init__(self, size: int) -> None:
        self._size = size
        self._ring = [math.nan] * size
        self.now_s = -1
        self.filled = 0

    def set(self, sec: int, value: float) -> None:
        if sec == self.now_s and sec >= 0:  # the common case: one more in the same second
            self._ring[sec % self._size] = value
            return
        if sec < self.now_s:
            return
        ring, size = self._ring, self._size
        if self.now_s >= 0 and sec > self.now_s:
            last = ring[self.now_s % size]
            for s in range(max(self.now_s + 1, sec - size + 1), sec):
                ring[s % size] = last
            self.filled = min(size, self.filled + sec - self.now_s)
        elif self.now_s < 0:
            self.filled = 1
        ring[sec % size] = value
        self.now_s = sec

    def last(self) -> float:
        return self._ring[self.now_s % self._size] if self.now_s >= 0 else math.nan

    def at(self, sec: int) -> float:
        if sec > self.now_s or sec <= self.now_s - self.filled:
            return math.nan
        return self._ring[sec % self._size]

    def series(self, end_s: int, n: int) -> np.ndarray:
        """Values of seconds end_s-n+1 .. end_s, forward-filled up to end_s (NaN before
        the first known value)."""
        start = end_s - n + 1
        out = np.full(n, np.nan)
        lo = max(start, self.now_s - self.filled + 1)
        hi = min(end_s, self.now_s)
        if hi >= lo:
            ring = np.fromiter(self._ring, float, self._size)
            out[lo - start : hi - start + 1] = ring[np.arange(lo, hi + 1) % self._size]
        idx = np.where(np.isnan(out), 0, np.arange(n))
        np.maximum.accumulate(idx, out=idx)
        return out[idx]


class VolumePrice:
    """Volume and price analytics of one asset."""

    __slots__ = (
        "_lead",
        "_lead_at",
        "_rate",
        "_rate_alpha",
        "_wallets",
        "asset_id",
        "cex",
        "dex",
        "p",
        "w",
    )

    def __init__(self, asset_id: str, p: VolumePriceSettings) -> None:
        self.asset_id = asset_id
        self.p = p
        span = max(p.surge_window_s, p.accumulation_window_s, p.smart_window_s)

        self.w = SecondWindows(3, span)
        self._rate = Ewma()
        self._rate_alpha = alpha_for(1.0, p.baseline_half_life_s)
        bars = p.leadlag_window_s + 2 * p.leadlag_max_lag_s + 2
        self.dex = _Bars(max(bars, p.surge_window_s + 2))
        self.cex = _Bars(bars)
        self._wallets: OrderedDict[str, deque[tuple[int, float]]] = OrderedDict()
        self._lead: LeadLag | None = None
        self._lead_at = -(1 << 62)  # never computed

    # --- updates ---------------------------------------------------------------------------

    def add_trade(
        self,
        ts: int,
        buy: bool,
        usd: float,
        price_usd: float,
        trader: str | None,
        reverting: bool = False,
    ) -> None:
        """One swap. A *reverting* (arbitrage) trade counts in the surge's volume and the
        price, not in accumulation or any wallet's net buying."""
        sec = ts // 1000
        w = self.w
        if sec > w.now_s:
            if w.now_s >= 0:
                prev_usd = w.sum(1, _BUY) + w.sum(1, _SELL) + w.sum(1, _REVERT)
                passed = w.advance(sec)
                self._rate.update(prev_usd, self._rate_alpha)
                if passed > 1:
                    decay = (1.0 - self._rate_alpha) ** (passed - 1)
                    self._rate.mean *= decay
            else:
                w.advance(sec)
        self.dex.set(sec, price_usd)
        if reverting:
            w.cum[_REVERT] += usd
            return
        w.cum[_BUY if buy else _SELL] += usd
        if trader:
            wallets = self._wallets
            trades = wallets.get(trader)
            if trades is None:
                trades = wallets[trader] = deque(maxlen=_WALLET_TRADES)
                if len(wallets) > self.p.max_wallets:
                    wallets.popitem(last=False)
            else:
                wallets.move_to_end(trader)
            trades.append((ts, usd if buy else -usd))
            # only the smart-money window is ever read: forget older trades and wallets
            # gone quiet (kept most-recently-active last, so the quiet ones are first)
            cutoff = ts - self.p.smart_window_s * 1000
            while trades[0][0] < cutoff:
                trades.popleft()
            while wallets:
                oldest = next(iter(wallets.values()))
                if oldest[-1][0] >= cutoff:
                    break
                wallets.popitem(last=False)

    def add_dex_price(self, ts: int, price_usd: float) -> None:
        if price_usd > 0 and math.isfinite(price_usd):
            self.dex.set(ts // 1000, price_usd)

    def add_cex_mid(self, ts: int, mid: float) -> None:
        if mid > 0 and math.isfinite(mid):
            self.cex.set(ts // 1000, mid)

    # --- readings --------------------------------------------------------------------------

    def smart_money(self, ts: int, large_usd: float) -> float | None:
        """Net buying of repeat and large wallets over ``smart_window_s`` ÷ that window's
        volume (reverting trades excluded), in [−1, 1]; None without trader ids."""
        if not self._wallets:
            return None
        p = self.p
        cutoff = ts - p.smart_window_s * 1000
        net = 0.0
        # wallets are kept most-recently-active last: stop at the first one gone quiet
        for trades in reversed(self._wallets.values()):
            if trades[-1][0] < cutoff:
                break
            recent = [v for t, v in trades if t >= cutoff]
            if len(recent) >= p.repeat_wallet_trades:
                net += sum(recent)

        total = self.w.sum(p.smart_window_s, _BUY) + self.w.sum(p.smart_window_s, _SELL)
        return max(-1.0, min(1.0, net / total)) if total > 0 else 0.0

    def lead_lag(self, ts: int) -> LeadLag | None:
        """The DEX→CEX lead (cached; recomputed every ``leadlag_every_s``)."""
        sec = ts // 1000
        if sec - self._lead_at < self.p.leadlag_every_s:
            return self._lead

        self._lead_at = sec
        n, m = self.p.leadlag_window_s, self.p.leadlag_max_lag_s
        end = min(self.dex.now_s, self.cex.now_s)
        if end < 0:
            return self._lead
        # returns over n + 2m seconds: n for the CEX, shifted by up to m either way for the DEX
        d = self.dex.series(end, n + 2 * m + 1)
        c = self.cex.series(end, n + 2 * m + 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            rd, rc = np.diff(np.log(d)), np.diff(np.log(c))
        ok = np.isfinite(rd) & np.isfinite(rc)
        if ok.sum() < 120:  # two minutes of both prices, at least
            return self._lead
        rd, rc = np.where(ok, rd, 0.0), np.where(ok, rc, 0.0)
        rd = rd - rd.mean()
        rc = rc - rc.mean()
        base_c = rc[m : m + n]
        sc = math.sqrt(float(np.dot(base_c, base_c)))
        # row i holds the DEX returns (m - i) seconds earlier than the CEX ones: lag m - i
        dots = np.correlate(rd, base_c, "valid")  # 2m + 1 values, one per row
        sq = np.concatenate(([0.0], np.cumsum(rd * rd)))
        norms = np.sqrt(np.maximum(sq[n:] - sq[:-n], 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            corr = np.where((norms > 1e-15) & (sc > 0), dots / (norms * sc), 0.0)

        lags = m - np.arange(2 * m + 1)
        zero = float(corr[m])
        # ties go to the smallest lag, as a scan from −m upwards would find
        order = np.argsort(lags)
        best_i = int(order[np.argmax(corr[order])])
        best_lag, best_corr = int(lags[best_i]), float(corr[best_i])
        if best_corr <= 0.0:
            best_lag, best_corr = 0, 0.0
        samples = int(ok.sum())
        self._lead = LeadLag(best_lag, best_corr, zero, samples, best_corr > 2 / math.sqrt(samples))
        return self._lead

    def reading(self, ts: int, liquidity_usd: float | None, large_usd: float) -> VolumePriceReading:
        p = self.p
        w = self.w
        sec = ts // 1000
        span = p.surge_window_s
        b, s = w.sum(span, _BUY), w.sum(span, _SELL)
        expected_vol = self._rate.mean * span
        surge = (b + s + w.sum(span, _REVERT)) / expected_vol if expected_vol > 0 else 0.0
        now_p, then_p = self.dex.last(), self.dex.at(sec - span)
        change = (now_p / then_p - 1.0) * 1e4 if then_p > 0 and now_p > 0 else 0.0
        impact = 4.0 * (b - s) / liquidity_usd * 1e4 if liquidity_usd else 0.0
        absorption = 0.0
        if surge >= 1.5 and abs(impact) >= 1.0:
            absorption = max(0.0, 1.0 - abs(change) / abs(impact)) * min(1.0, math.log2(surge) / 2)
        ab, asl = w.sum(p.accumulation_window_s, _BUY), w.sum(p.accumulation_window_s, _SELL)
        return VolumePriceReading(
            asset_id=self.asset_id,
            ts=ts,
            surge=surge,
            price_change_bps=change,
            expected_impact_bps=impact,
            absorption=absorption,
            accumulation=(ab - asl) / (ab + asl) if ab + asl > 0 else 0.0,
            smart_money=self.smart_money(ts, large_usd),
            lead=self.lead_lag(ts),
        )
