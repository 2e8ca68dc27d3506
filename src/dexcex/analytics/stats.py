"""Small streaming statistics with O(1) state."""

from __future__ import annotations

import math

__all__ = ["Ewma", "alpha_for"]


def alpha_for(dt_s: float, half_life_s: float) -> float:
    """Weight of a new observation after ``dt_s`` for an EWMA with this half-life."""
    if dt_s <= 0:
        return 0.0
    return 1.0 - math.exp(-math.log(2.0) * dt_s / half_life_s)


class Ewma:
    """Exponentially weighted mean and variance (West's incremental form)."""

    __slots__ = ("mean", "n", "var")

    def __init__(self) -> None:
        self.mean = 0.0
        self.var = 0.0
        self.n = 0

    def copy(self) -> Ewma:
        c = Ewma()
        c.mean, c.var, c.n = self.mean, self.var, self.n
        return c

    def update(self, x: float, alpha: float) -> None:
        if self.n == 0:
            self.mean = x
            self.var = 0.0
        else:
            diff = x - self.mean
            incr = alpha * diff
            self.mean += incr
            self.var = (1.0 - alpha) * (self.var + diff * incr)
        self.n += 1

    @property
    def std(self) -> float:
        return math.sqrt(self.var) if self.var > 0 else 0.0

    def z(self, x: float, floor: float = 1e-9) -> float:
        """Standard score of ``x``; 0 until there is a spread to measure against."""
        s = self.std
        return (x - self.mean) / s if s > floor and self.n > 1 else 0.0
