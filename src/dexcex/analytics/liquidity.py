"""Pool liquidity over time: level, smoothed velocity and acceleration, sudden changes,
adds vs removals, and drains.

The level tracked is, where the source gives reserves, ``sqrt(base × quote)`` — the
constant-product invariant, which moves only when liquidity is added or removed (swaps
leave it unchanged but for fees), so price moves do not masquerade as liquidity events.
Without reserves (Birdeye's token-level figure) it is the USD liquidity, which also moves
with price; readings say which (``basis``).

- velocity: EWMA of the first difference per second, in USD/s (the invariant's relative
  change is converted to USD at the current USD liquidity); acceleration: EWMA of the
  velocity's change per second, USD/s²;
- sudden change: a two-sided CUSUM on relative changes standardised by their EWMA
  spread (after a 20-update warm-up) — ``S⁺ = max(0, S⁺ + z − k)``,
  ``S⁻ = max(0, S⁻ − z − k)``, an alarm when either passes ``h`` (then both reset);
  robust to the slow drift a plain threshold would miss;

- adds and removals: sums of positive and negative changes (USD) over the drain window;
- drain: LPs took out ``drain_pct`` % or more of the pool within ``drain_window_s``
  (without reserves: liquidity fell that much from its high in the window).
"""

from __future__ import annotations

import math
from collections import deque

import msgspec

from dexcex.analytics.stats import Ewma, alpha_for
from dexcex.config.core_settings import LiquiditySettings

__all__ = ["LiquidityReading", "LiquidityTracker"]

_WARMUP = 20  # updates before the CUSUM runs


class LiquidityReading(msgspec.Struct, frozen=True):
    pool: str
    ts: int
    liquidity_usd: float
    basis: str  # "reserves" or "usd"
    velocity_usd_s: float
    acceleration_usd_s2: float
    change_z: float
    sudden: int  # +1 sudden add, -1 sudden removal, 0 none (on this update)
    adds_usd: float
    removals_usd: float
    drain: bool
    drawdown_pct: float


class LiquidityTracker:
    __slots__ = (
        "_alarm",
        "_hist",
        "_last_v",
        "_level",
        "_rel",
        "accel",
        "cusum_neg",
        "cusum_pos",
        "last_ts",
        "last_usd",
        "p",
        "pool",
        "rejected",
        "velocity",
    )

    def __init__(self, pool: str, p: LiquiditySettings) -> None:
        self.pool = pool
        self.p = p
        self._level: float | None = None
        self.last_usd = 0.0
        self.last_ts = 0
        self.velocity = 0.0
        self.accel = 0.0
        self._last_v = 0.0
        self._rel = Ewma()  # relative change per update
        self.cusum_pos = 0.0
        self.cusum_neg = 0.0
        # (ts, usd, change usd) within the drain window, capped
        self._hist: deque[tuple[int, float, float]] = deque(maxlen=p.history)
        self._alarm = 0
        self.rejected = 0

    def update(
        self, ts: int, liquidity_usd: float, base: float | None, quote: float | None
    ) -> LiquidityReading | None:
        if not (math.isfinite(liquidity_usd) and liquidity_usd >= 0):
            self.rejected += 1
            return None
        reserves = base is not None and quote is not None and base > 0 and quote > 0
        if reserves and not (math.isfinite(base) and math.isfinite(quote)):  # type: ignore[arg-type]
            self.rejected += 1
            return None
        level = math.sqrt(base * quote) if reserves else liquidity_usd  # type: ignore[operator]
        if self._level is None or ts <= self.last_ts:
            if self._level is None:
                self._level, self.last_usd, self.last_ts = level, liquidity_usd, ts
                self._hist.append((ts, liquidity_usd, 0.0))
            elif ts <= self.last_ts:
                self.rejected += 1  # out of order snapshot: the newer one stands
            return None
        p = self.p
        dt = (ts - self.last_ts) / 1000.0
        rel = level / self._level - 1.0 if self._level > 0 else 0.0
        change_usd = rel * liquidity_usd  # in USD at today's price
        a = alpha_for(dt, p.half_life_s)
        v_inst = change_usd / dt
        self.velocity += a * (v_inst - self.velocity)
        self.accel += a * ((self.velocity - self._last_v) / dt - self.accel)
        self._last_v = self.velocity
        # the spread of changes needs a few samples before a z-score means anything
        z = self._rel.z(rel, floor=1e-12) if self._rel.n >= _WARMUP else 0.0

        self._rel.update(rel, 0.05)
        sudden = self._cusum(z)
        self._level, self.last_usd, self.last_ts = level, liquidity_usd, ts
        adds, removals, drawdown = self._window(ts, liquidity_usd, change_usd, reserves)
        return LiquidityReading(
            pool=self.pool,
            ts=ts,
            liquidity_usd=liquidity_usd,
            basis="reserves" if reserves else "usd",
            velocity_usd_s=self.velocity,
            acceleration_usd_s2=self.accel,
            change_z=z,
            sudden=sudden,
            adds_usd=adds,
            removals_usd=removals,
            drain=drawdown >= p.drain_pct,
            drawdown_pct=drawdown,
        )

    def _cusum(self, z: float) -> int:
        """+1/-1 when the change z-scores add up to a sudden rise/fall (then restart)."""
        p = self.p
        self.cusum_pos = max(0.0, self.cusum_pos + z - p.cusum_k)
        self.cusum_neg = max(0.0, self.cusum_neg - z - p.cusum_k)
        if self.cusum_pos > p.cusum_h:
            self.cusum_pos, self.cusum_neg = 0.0, 0.0
            return 1
        if self.cusum_neg > p.cusum_h:
            self.cusum_pos, self.cusum_neg = 0.0, 0.0
            return -1
        return 0

    def _window(
        self, ts: int, liquidity_usd: float, change_usd: float, reserves: bool
    ) -> tuple[float, float, float]:
        """(adds, removals, drawdown %) over the drain window, this update included."""
        hist = self._hist
        hist.append((ts, liquidity_usd, change_usd))
        cutoff = ts - int(self.p.drain_window_s * 1000)
        while hist and hist[0][0] < cutoff:
            hist.popleft()
        adds = sum(c for _, _, c in hist if c > 0)
        removals = -sum(c for _, _, c in hist if c < 0)
        if reserves:  # LP exits in the window, relative to the liquidity before them
            before = liquidity_usd + removals
            drawdown = removals / before * 100.0 if before > 0 else 0.0
        else:  # only USD: the fall from the window's high (price moves included)
            peak = max(u for _, u, _ in hist)
            drawdown = (1.0 - liquidity_usd / peak) * 100.0 if peak > 0 else 0.0
        return adds, removals, drawdown
