"""Data accuracy: do the sources agree with each other, and which one is wrong when not?

Every ``sample_every_s`` (market time), per asset and pool: Birdeye's price of that pool
against DexScreener's, and each of them against the CEX mid after the pool's known
DEX–CEX basis (a slow average of log(CEX / DEX), learned from the samples that agree).
A sample that fails is blamed on a source only when that source disagrees with both
others while they agree with each other — otherwise no one is blamed (two sources that
disagree do not say which is right). Each venue's local book against its REST snapshot
(the pipeline's book check) counts for that venue.

Like is compared with like, or a correct source is blamed for the market's own motion:

* **one pool at a time** — pools of one token differ by up to the arbitrage band, so the
  last swap's pool says nothing about another pool's snapshot (a source that names its
  pools is compared pool by pool; token-level prices only with token-level prices);
* **one moment** — a polled snapshot is seconds older than the last streamed swap, and a
  large swap moves a pool for the seconds until arbitrage brings it back: each sample
  is taken at the oldest of the sources' latest observations, and two sources agree
  when they showed a common price within ``align_s`` of it (a lagging snapshot of
  the same pool then finds its state; a source whose prices are wrong finds none);
* **new data only** — a moment already judged is not judged again.

Per source: the share of its recent samples (``window``) within tolerance. Below
``min_share`` (with at least ``min_samples``) the source is **excluded**: the engine
drops its events before the core, so it cannot trigger signals, until its share is back
above ``min_share``. Pure: events and a clock in.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from dexcex.domain import (
    CexTrade,
    Clock,
    DexFlowDelta,
    DexPrice,
    DexSwap,
    MarketEvent,
    OrderBook,
)

__all__ = ["AccuracyMonitor", "AccuracySettings"]

_DEX_SOURCES = ("birdeye", "dexscreener")
_TOKEN = ""  # the pool of a token-level price (no pool named)
_CEX_EVERY_MS = 250  # the CEX mid kept at most this often per asset
_KEPT = 256  # observations kept per series


@dataclass(frozen=True)
class AccuracySettings:
    sample_every_s: float = 5.0
    max_age_s: float = 30.0  # a price older than this is not compared
    align_s: float = 10.0  # two sources agree when they showed a common price this close
    dex_tolerance_bps: float = 100.0  # Birdeye vs DexScreener
    cex_tolerance_bps: float = 150.0  # a DEX price vs the CEX mid, after the basis
    basis_alpha: float = 0.05
    window: int = 200
    min_samples: int = 20
    min_share: float = 0.95


@dataclass
class _Source:
    results: deque[bool] = field(default_factory=lambda: deque(maxlen=200))

    def share(self) -> float | None:
        return sum(self.results) / len(self.results) if self.results else None


@dataclass
class _Series:
    """One source's prices of one pool (or the CEX mid of one asset), in time order."""

    ts: deque[int] = field(default_factory=lambda: deque(maxlen=_KEPT))
    px: deque[float] = field(default_factory=lambda: deque(maxlen=_KEPT))

    def add(self, ts: int, px: float) -> None:
        if self.ts and ts < self.ts[-1]:
            return  # late: the series is a step function of time
        self.ts.append(ts)
        self.px.append(px)

    @property
    def last_ts(self) -> int:
        return self.ts[-1]

    def shown(self, lo: int, hi: int) -> list[float]:
        """Every price this series showed in [lo, hi]: the one standing at ``lo`` and
        the ones that replaced it up to ``hi``."""
        ts = list(self.ts)
        first = max(0, bisect_right(ts, lo) - 1)
        end = bisect_right(ts, hi)
        return [self.px[i] for i in range(first, end)]


def _closest_bps(a: Iterable[float], b: Iterable[float], basis: float = 0.0) -> float:
    """The smallest |log(b/a) − basis| over both sets, in bp (inf when one is empty)."""
    best = math.inf
    bs = list(b)
    for x in a:
        for y in bs:
            best = min(best, abs(math.log(y / x) - basis) * 1e4)
    return best


class AccuracyMonitor:
    def __init__(
        self,
        clock: Clock,
        asset_of_market: Callable[[str, str], str | None],
        p: AccuracySettings | None = None,
    ) -> None:
        self.p = p or AccuracySettings()
        self.clock = clock
        self.asset_of_market = asset_of_market
        self.sources: dict[str, _Source] = {}
        self.excluded: set[str] = set()
        # (asset, pool) → source → its prices of that pool
        self._dex: dict[tuple[str, str], dict[str, _Series]] = {}
        self._pooled: set[tuple[str, str]] = set()  # (asset, source) that name their pools
        self._cex: dict[str, _Series] = {}  # asset → CEX mid
        self._basis: dict[tuple[str, str], float] = {}  # (asset, pool) → mean log(cex/dex)
        self._judged: dict[tuple[str, str], int] = {}  # (asset, pool) → moment last judged
        self._next_sample = 0
        self.on_change: list[Callable[[str, bool, float], None]] = []  # (source, excluded, share)

    # --- what arrives --------------------------------------------------------------------------

    def excludes(self, ev: MarketEvent) -> bool:
        """Keep this event from the core: its DEX source disagrees with the others (CEX
        events are never excluded: the venues are what the others are checked against)."""
        excluded = self.excluded
        if not excluded or isinstance(ev, (OrderBook, CexTrade)):
            return False
        return ev.source in excluded

    def observe(self, ev: MarketEvent) -> None:
        if isinstance(ev, DexSwap | DexFlowDelta):
            if ev.price_usd is not None and ev.price_usd > 0:
                self._pooled.add((ev.asset_id, ev.source))
                self._add_dex(ev.asset_id, ev.pool, ev.source, ev.ts_event, ev.price_usd)
        elif isinstance(ev, DexPrice):
            if ev.price_usd > 0 and (ev.asset_id, ev.source) not in self._pooled:
                self._add_dex(ev.asset_id, _TOKEN, ev.source, ev.ts_event, ev.price_usd)
        elif isinstance(ev, OrderBook):
            self._add_cex(ev)
        now = self.clock.now_ms()
        if now >= self._next_sample:
            self._next_sample = now + int(self.p.sample_every_s * 1000)
            self.sample(now)

    def _add_dex(self, asset: str, pool: str, source: str, ts: int, px: float) -> None:
        per = self._dex.setdefault((asset, pool), {})
        series = per.get(source)
        if series is None:
            series = per[source] = _Series()
        series.add(ts, px)

    def _add_cex(self, ev: OrderBook) -> None:
        mid = ev.mid
        if mid is None or mid <= 0:
            return
        asset = self.asset_of_market(ev.venue.value, ev.symbol)
        if asset is None:
            return
        series = self._cex.get(asset)
        if series is None:
            series = self._cex[asset] = _Series()
        if series.ts and ev.ts_event - series.last_ts < _CEX_EVERY_MS:
            return
        series.add(ev.ts_event, mid)

    def book_check(self, venue: str, agrees: bool) -> None:
        """A venue's local book against its REST snapshot (from the pipeline's check)."""
        self._record(venue, agrees)

    # --- sampling ------------------------------------------------------------------------------

    def sample(self, now: int) -> None:
        max_age = int(self.p.max_age_s * 1000)
        align = int(self.p.align_s * 1000)
        for key, per in self._dex.items():
            fresh = {
                s: per[s]
                for s in _DEX_SOURCES
                if s in per and per[s].ts and now - per[s].last_ts <= max_age
            }
            if not fresh:
                continue
            cex = self._cex.get(key[0])
            if cex is not None and (not cex.ts or now - cex.last_ts > max_age):
                cex = None
            at = min(s.last_ts for s in fresh.values())
            if cex is not None:
                at = min(at, cex.last_ts)
            if self._judged.get(key) == at:
                continue  # nothing new since
            self._judged[key] = at
            # both sides of the moment: a stream's timestamps are block times (whole
            # seconds on some chains), a poll's its arrival
            shown = {
                s: px for s, series in fresh.items() if (px := series.shown(at - align, at + align))
            }
            mids = cex.shown(at - align, at + align) if cex is not None else None
            self._judge(key, shown, mids)

    def _judge(
        self, key: tuple[str, str], prices: dict[str, list[float]], mids: list[float] | None
    ) -> None:
        # pairwise agreement among the sources present
        names = list(prices) + (["cex"] if mids else [])
        if len(names) < 2:
            return
        basis = self._basis.get(key)

        def agree(a: str, b: str) -> bool | None:
            if "cex" in (a, b):
                dex = prices[a if b == "cex" else b]
                assert mids is not None
                if basis is None:
                    return None  # no basis learned yet: cannot judge against the CEX
                return _closest_bps(dex, mids, basis) <= self.p.cex_tolerance_bps
            return _closest_bps(prices[a], prices[b]) <= self.p.dex_tolerance_bps

        pairs = {(a, b): agree(a, b) for i, a in enumerate(names) for b in names[i + 1 :]}
        judged = {k: v for k, v in pairs.items() if v is not None}
        if judged:
            self._blame(prices, judged)
        if not judged or all(judged.values()) or basis is None:
            self._learn_basis(key, prices, mids)

    def _blame(self, prices: dict[str, list[float]], judged: dict[tuple[str, str], bool]) -> None:
        for src in prices:
            mine = [v for k, v in judged.items() if src in k]
            others = [v for k, v in judged.items() if src not in k]
            if not mine:
                continue
            if all(mine):
                self._record(src, True)
            elif not any(mine) and others and all(others):
                self._record(src, False)  # it alone disagrees with sources that agree
            # else: a disagreement no one can be blamed for

    def _learn_basis(
        self, key: tuple[str, str], prices: dict[str, list[float]], mids: list[float] | None
    ) -> None:
        if not mids or not prices:
            return
        latest = sorted(px[-1] for px in prices.values())
        x = math.log(mids[-1] / latest[len(latest) // 2])
        b = self._basis.get(key)
        self._basis[key] = x if b is None else b + self.p.basis_alpha * (x - b)

    # --- results -------------------------------------------------------------------------------

    def _record(self, source: str, ok: bool) -> None:
        st = self.sources.get(source)
        if st is None:
            st = self.sources[source] = _Source(deque(maxlen=self.p.window))
        st.results.append(ok)
        share = st.share()
        if share is None or len(st.results) < self.p.min_samples:
            return
        bad = share < self.p.min_share
        if bad and source not in self.excluded:
            self.excluded.add(source)
            for fn in self.on_change:
                fn(source, True, share)
        elif not bad and source in self.excluded:
            self.excluded.discard(source)
            for fn in self.on_change:
                fn(source, False, share)

    def share(self, source: str) -> float | None:
        st = self.sources.get(source)
        return st.share() if st is not None else None

    def accepts(self, ev: MarketEvent) -> bool:
        """False for an event from an excluded source (it must not reach the core)."""
        return getattr(ev, "source", None) not in self.excluded
