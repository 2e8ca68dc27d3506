"""A simulated CEX order book around a moving mid, emitting only what changed.

Levels sit on a coarse grid (``grid`` ticks apart, about 4 bp), so a small mid move
changes one level per side instead of shifting the whole ladder — like a real book,
where most updates touch a few levels. Sizes grow away from the touch and are
re-drawn at a few random levels per update.
"""

from __future__ import annotations

import math
import random

from dexcex.sim.market.specs import CexMarketSpec

__all__ = ["SimBook"]


class SimBook:
    __slots__ = (
        "_level_usd",
        "_tick",
        "asks",
        "bids",
        "grid",
        "levels",
        "spec",
        "top_ask",
        "top_bid",
        "version",
    )

    def __init__(self, spec: CexMarketSpec, mid: float, depth_usd: float, levels: int) -> None:
        self.spec = spec
        self.levels = levels
        # grid spacing in ticks: ~4 bp of the price
        self._tick = spec.tick
        self.grid = max(1, round(mid * 4e-4 / spec.tick))
        # depth_usd is per side within ~1 % = ~25 grid levels
        self._level_usd = depth_usd / 25.0
        self.bids: dict[int, float] = {}
        self.asks: dict[int, float] = {}
        self.version = 1_000_000
        self.top_bid: int | None = None
        self.top_ask: int | None = None

    def _size(self, rng: random.Random, k: int, price: float) -> float:
        usd = self._level_usd * (0.4 + 0.06 * k) * (0.4 + 1.2 * rng.random())
        return max(self.spec.step, round(usd / price, self.spec.amount_dp))

    def update(
        self, rng: random.Random, mid: float, half_spread_bps: float, resize: int
    ) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
        """Move the book to ``mid``; returns changed (price, size) levels, size 0 = removed.

        Each side is a contiguous ladder of ``levels`` grid steps from its top, so a move
        only touches the levels that scrolled in or out at either end.
        """
        tick = self._tick
        g = self.grid
        gt = g * tick
        hs = half_spread_bps * 1e-4
        top_bid = math.floor(mid * (1 - hs) / gt) * g
        top_ask = math.ceil(mid * (1 + hs) / gt) * g
        if top_ask <= top_bid:
            top_ask = top_bid + g
        changed_b: list[tuple[float, float]] = []
        changed_a: list[tuple[float, float]] = []
        self._shift(rng, self.bids, self.top_bid, top_bid, -g, changed_b)
        self._shift(rng, self.asks, self.top_ask, top_ask, g, changed_a)
        self.top_bid, self.top_ask = top_bid, top_ask
        dp = self.spec.price_dp
        n = self.levels
        for _ in range(resize):
            k = int(rng.random() * n)
            if rng.random() < 0.5:
                tb = top_bid - k * g
                if tb in self.bids:
                    p = round(tb * tick, dp)
                    self.bids[tb] = sz = self._size(rng, k, p)
                    changed_b.append((p, sz))
            else:
                ta = top_ask + k * g
                p = round(ta * tick, dp)
                self.asks[ta] = sz = self._size(rng, k, p)
                changed_a.append((p, sz))
        return changed_b, changed_a

    def _shift(
        self,
        rng: random.Random,
        side: dict[int, float],
        old_top: int | None,
        new_top: int,
        away: int,
        changed: list[tuple[float, float]],
    ) -> None:
        """Re-anchor one side's ladder at ``new_top``; ``away`` is the step away from the mid
        (-grid for bids, +grid for asks)."""
        if new_top == old_top:
            return
        n = self.levels
        tick, dp = self._tick, self.spec.price_dp
        new_ticks = range(new_top, new_top + n * away, away)
        if old_top is None or abs(new_top - old_top) >= n * abs(away):
            for t in list(side):
                if t not in new_ticks:
                    del side[t]
                    changed.append((round(t * tick, dp), 0.0))
            for k, t in enumerate(new_ticks):
                if t > 0 and t not in side:
                    p = round(t * tick, dp)
                    side[t] = sz = self._size(rng, k, p)
                    changed.append((p, sz))
            return
        old_ticks = range(old_top, old_top + n * away, away)
        for t in old_ticks:
            if t not in new_ticks and t in side:
                del side[t]
                changed.append((round(t * tick, dp), 0.0))
        for k, t in enumerate(new_ticks):
            if t > 0 and t not in old_ticks:
                p = round(t * tick, dp)
                side[t] = sz = self._size(rng, k, p)
                changed.append((p, sz))

    def best(self) -> tuple[float, float, float, float]:
        """(bid, bid size, ask, ask size) of the current book."""
        tick, dp = self._tick, self.spec.price_dp
        tb, ta = self.top_bid, self.top_ask
        if tb is None or ta is None:
            raise ValueError("book not built yet")
        return round(tb * tick, dp), self.bids[tb], round(ta * tick, dp), self.asks[ta]

    def snapshot(self, depth: int) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
        """Best ``depth`` levels per side: bids descending, asks ascending."""
        tick, dp = self.spec.tick, self.spec.price_dp
        bids = [
            (round(t * tick, dp), self.bids[t]) for t in sorted(self.bids, reverse=True)[:depth]
        ]
        asks = [(round(t * tick, dp), self.asks[t]) for t in sorted(self.asks)[:depth]]
        return bids, asks
