"""Outcomes of live (and replayed, and paper) signals, written as their horizons elapse.

Every signal — executed, filtered or rejected — is tracked from the moment it is stored.
The labeler keeps, per market, the CEX mids of the last ``max horizon + max_gap`` seconds
(one per second, the last of each second), and after each second checks the pending
signals: a horizon that has elapsed gets its outcome columns (return, excursions, net
return, label) — see ``labeling.outcomes`` for the definitions — and once every horizon
is filled or cannot be any more (a gap in the data), the signal is done. Memory: one mid
per second per watched market for about an hour, and the signals of the last hour.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from dexcex.domain import OrderBook, Signal, VenueId
from dexcex.labeling.outcomes import HORIZONS, MidSeries, label_signal

__all__ = ["Labeler", "OutcomeUpdate"]

_MAX_H = max(HORIZONS.values())


@dataclass(frozen=True)
class OutcomeUpdate:
    signal_id: str
    values: dict[str, float | bool | None]  # only the columns newly known
    final: bool
    note: str | None


@dataclass
class _Pending:
    signal: Signal
    cost_bps: float
    done: set[str] = field(default_factory=set)


class Labeler:
    def __init__(
        self, sink: Callable[[list[OutcomeUpdate]], None], *, max_gap_s: int = 120
    ) -> None:
        self.sink = sink
        self.max_gap_s = max_gap_s
        self._mids: dict[tuple[VenueId, str], MidSeries] = {}
        self._pending: dict[str, _Pending] = {}
        self._last_check_s = -1
        self.labeled = 0

    def track(self, signal: Signal) -> None:
        cost = signal.features.get("cost_bps", 10.0)
        self._pending[signal.id] = _Pending(signal, cost)

    def on_book(self, book: OrderBook) -> None:
        mid = book.mid
        if mid is None:
            return
        key = (book.venue, book.symbol)
        series = self._mids.get(key)
        if series is None:
            series = self._mids[key] = MidSeries()
        series.add(book.ts_event, mid)
        sec = book.ts_event // 1000
        if sec != self._last_check_s:
            self._last_check_s = sec
            self.check(book.ts_event)

    def check(self, now_ms: int) -> None:
        updates: list[OutcomeUpdate] = []
        for sid, p in list(self._pending.items()):
            s = p.signal
            series = self._mids.get((s.venue, s.symbol))
            if series is None or not len(series):
                if now_ms - s.ts > (_MAX_H + self.max_gap_s) * 1000:
                    del self._pending[sid]
                    updates.append(OutcomeUpdate(sid, {}, True, "no CEX mids for its market"))
                continue
            i0 = series.first_after(s.ts)
            t0 = series.times[i0] if i0 < len(series) else None
            elapsed = (
                []
                if t0 is None
                else [h for h, secs in HORIZONS.items() if t0 + secs * 1000 <= series.last_ts]
            )

            new = [h for h in elapsed if h not in p.done]
            final = len(elapsed) == len(HORIZONS)
            stale = now_ms - s.ts > (_MAX_H + self.max_gap_s) * 1000
            if not new and not final and not stale:
                continue
            out = label_signal(s.ts, s.direction.sign, p.cost_bps, series, max_gap_s=self.max_gap_s)
            values = {
                k: v
                for k, v in out.values.items()
                if any(k.endswith(f"_{h}_bps") or k == f"label_{h}" for h in new)
            }
            p.done.update(new)
            if final or stale:
                del self._pending[sid]
                self.labeled += 1
            updates.append(OutcomeUpdate(sid, values, final or stale, out.note))
        if updates:
            self.sink(updates)
        self._trim(now_ms)

    def finish(self, now_ms: int) -> None:
        """The run ends: every pending signal gets what is known, and why the rest is not."""
        updates: list[OutcomeUpdate] = []
        for sid, p in self._pending.items():
            s = p.signal
            series = self._mids.get((s.venue, s.symbol))
            if series is None or not len(series):
                updates.append(OutcomeUpdate(sid, {}, True, "no CEX mids for its market"))
                continue
            out = label_signal(s.ts, s.direction.sign, p.cost_bps, series, max_gap_s=self.max_gap_s)
            values = {
                k: v
                for k, v in out.values.items()
                if not any(k.endswith(f"_{h}_bps") or k == f"label_{h}" for h in p.done)
            }
            note = "run ended before every horizon" + (f" ({out.note})" if out.note else "")
            updates.append(OutcomeUpdate(sid, values, True, note))
            self.labeled += 1
        self._pending.clear()
        if updates:
            self.sink(updates)

    def _trim(self, now_ms: int) -> None:
        """Forget mids no pending signal can need any more."""
        oldest = min((p.signal.ts for p in self._pending.values()), default=now_ms)
        cutoff = min(oldest, now_ms - (_MAX_H + self.max_gap_s) * 1000) - 1000
        for series in self._mids.values():
            series.trim_before(cutoff)

    @property
    def pending(self) -> int:
        return len(self._pending)
