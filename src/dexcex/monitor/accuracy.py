"""Data accuracy: do the sources agree with each other, and which one is wrong when not?

Every ``sample_every_s`` (market time), per asset with fresh prices: Birdeye's DEX price
against DexScreener's, and each of them against the CEX mid after the asset's known
DEX–CEX basis (a slow average of log(CEX / DEX), learned from the samples that agree).
A sample that fails is blamed on a source only when that source disagrees with both
others while they agree with each other — otherwise no one is blamed (two sources that
disagree do not say which is right). Each venue's local book against its REST snapshot
(the pipeline's book check) counts for that venue.

Per source: the share of its recent samples (``window``) within tolerance. Below
``min_share`` (with at least ``min_samples``) the source is **excluded**: the engine
drops its events before the core, so it cannot trigger signals, until its share is back
above ``min_share``. Pure: events and a clock in.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from dexcex.domain import CexTrade, Clock, DexPrice, DexSwap, MarketEvent, OrderBook

__all__ = ["AccuracyMonitor", "AccuracySettings"]

_DEX_SOURCES = ("birdeye", "dexscreener")


@dataclass(frozen=True)
class AccuracySettings:
    sample_every_s: float = 5.0
    max_age_s: float = 30.0  # a price older than this is not compared
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
        self._dex: dict[tuple[str, str], tuple[float, int]] = {}  # (asset, source) → (px, ts)
        self._cex: dict[str, tuple[float, int]] = {}  # asset → (mid, ts)
        self._basis: dict[str, float] = {}  # asset → mean log(cex/dex)
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
        if isinstance(ev, DexSwap | DexPrice):
            if ev.price_usd > 0:
                self._dex[(ev.asset_id, ev.source)] = (ev.price_usd, ev.ts_event)
        elif isinstance(ev, OrderBook):
            mid = ev.mid
            if mid is not None and mid > 0:
                asset = self.asset_of_market(ev.venue.value, ev.symbol)
                if asset is not None:
                    self._cex[asset] = (mid, ev.ts_event)
        now = self.clock.now_ms()
        if now >= self._next_sample:
            self._next_sample = now + int(self.p.sample_every_s * 1000)
            self.sample(now)

    def book_check(self, venue: str, agrees: bool) -> None:
        """A venue's local book against its REST snapshot (from the pipeline's check)."""
        self._record(venue, agrees)

    # --- sampling ------------------------------------------------------------------------------

    def sample(self, now: int) -> None:
        max_age = self.p.max_age_s * 1000
        assets = {a for a, _ in self._dex}
        for asset in assets:
            prices = {
                s: px
                for s in _DEX_SOURCES
                if (v := self._dex.get((asset, s))) is not None
                and now - v[1] <= max_age
                and (px := v[0]) > 0
            }
            cex = self._cex.get(asset)
            mid = cex[0] if cex is not None and now - cex[1] <= max_age else None
            self._judge(asset, prices, mid)

    def _judge(self, asset: str, prices: dict[str, float], mid: float | None) -> None:
        # pairwise agreement among the sources present
        names = list(prices) + (["cex"] if mid is not None else [])
        if len(names) < 2:
            return
        basis = self._basis.get(asset)

        def agree(a: str, b: str) -> bool | None:
            if "cex" in (a, b):
                dex = prices[a if b == "cex" else b]
                assert mid is not None
                if basis is None:
                    return None  # no basis learned yet: cannot judge against the CEX
                dev = abs(math.log(mid / dex) - basis) * 1e4
                return dev <= self.p.cex_tolerance_bps
            return abs(prices[a] / prices[b] - 1.0) * 1e4 <= self.p.dex_tolerance_bps

        pairs = {(a, b): agree(a, b) for i, a in enumerate(names) for b in names[i + 1 :]}
        judged = {k: v for k, v in pairs.items() if v is not None}
        if not judged:
            self._learn_basis(asset, prices, mid)
            return
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
        if all(judged.values()) or basis is None:
            self._learn_basis(asset, prices, mid)

    def _learn_basis(self, asset: str, prices: dict[str, float], mid: float | None) -> None:
        if mid is None or not prices:
            return
        dex = sorted(prices.values())[len(prices) // 2]
        x = math.log(mid / dex)
        b = self._basis.get(asset)
        self._basis[asset] = x if b is None else b + self.p.basis_alpha * (x - b)

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
