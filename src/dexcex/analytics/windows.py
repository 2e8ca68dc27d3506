"""Rolling sums over the last N seconds, for several N at once, in O(1) per event.

Events add to running totals (``cum``). At each new second the totals are stamped into
a ring of per-second snapshots; the sum over the last ``span`` seconds is the current
total minus the snapshot taken at the start of the oldest second in the span. So a
window covers the current (partial) second plus the ``span - 1`` seconds before it —
second granularity, which is what the 10–30 s windows need — and an event older than
that no longer counts. Memory: one snapshot per second of the longest span.
"""

from __future__ import annotations

__all__ = ["SecondWindows"]


class SecondWindows:
    __slots__ = ("_ring", "_size", "_zero", "cum", "now_s")

    def __init__(self, width: int, max_span_s: int) -> None:
        self._size = max_span_s + 1
        self.cum = [0.0] * width
        zero = tuple(self.cum)
        self._ring: list[tuple[float, ...]] = [zero] * self._size
        self._zero = zero
        self.now_s = -1

    def copy(self) -> SecondWindows:
        c = SecondWindows.__new__(SecondWindows)
        c._size, c._zero, c.now_s = self._size, self._zero, self.now_s
        c.cum = self.cum.copy()
        c._ring = self._ring.copy()  # snapshots are tuples: shared, never changed
        return c

    def advance(self, sec: int) -> int:
        """Move to second ``sec`` (never back); returns how many seconds passed."""
        if sec <= self.now_s:
            return 0
        passed = sec - self.now_s if self.now_s >= 0 else 1
        snap = tuple(self.cum)
        size = self._size
        ring = self._ring
        for s in range(max(self.now_s + 1, sec - size + 1), sec + 1):
            ring[s % size] = snap  # the totals before any event of second s
        self.now_s = sec
        return passed

    def sum(self, span_s: int, i: int) -> float:
        """Sum of accumulator ``i`` over the last ``span_s`` seconds (current one included)."""
        start = self.now_s - span_s + 1
        if start < 0:
            return self.cum[i]
        return self.cum[i] - self._ring[start % self._size][i]

    def base(self, span_s: int) -> tuple[float, ...]:
        """The snapshot to subtract from ``cum`` for sums over the last ``span_s`` seconds
        (zeros while the windows are younger than that: ``x - 0.0`` is ``x``, bit for bit,
        so ``cum[i] - base(span)[i]`` is exactly ``sum(span, i)``)."""
        start = self.now_s - span_s + 1
        return self._zero if start < 0 else self._ring[start % self._size]

    def sums(self, span_s: int) -> tuple[float, ...]:
        start = self.now_s - span_s + 1
        if start < 0:
            return tuple(self.cum)
        base = self._ring[start % self._size]
        return tuple(c - b for c, b in zip(self.cum, base, strict=True))
