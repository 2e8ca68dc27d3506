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

import heapq
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


@dataclass(eq=False)
class _Pending:
    signal: Signal
    cost_bps: float
    seq: int  # the order signals are checked in: as tracked
    # nothing can be new before the market's last mid reaches this (ms): a horizon needs
    # the first mid after the signal plus its length; until there is one, a mid after it
    wake_ms: int
    stale_ms: int  # past this (now, ms) the signal is labelled with what is known
    done: set[str] = field(default_factory=set)


_Entry = tuple[int, int, _Pending]  # (due ms, push number, signal): a heap entry


class Labeler:
    def __init__(
        self, sink: Callable[[list[OutcomeUpdate]], None], *, max_gap_s: int = 120
    ) -> None:
        self.sink = sink
        self.max_gap_s = max_gap_s
        self._mids: dict[tuple[VenueId, str], MidSeries] = {}
        self._pending: dict[str, _Pending] = {}
        # each pending signal in three heaps, so a check looks only at signals with
        # something due (a signal tracked again leaves stale entries, skipped when popped):
        self._waking: dict[tuple[VenueId, str], list[_Entry]] = {}  # by market, wake_ms
        self._staling: list[_Entry] = []  # stale_ms
        self._by_ts: list[_Entry] = []  # the signal's time (what mids must be kept)
        self._pushes = 0
        self._last_check_s = -1
        self.labeled = 0

    def track(self, signal: Signal) -> None:
        cost = signal.features.get("cost_bps", 10.0)
        stale_ms = signal.ts + (_MAX_H + self.max_gap_s) * 1000
        old = self._pending.get(signal.id)
        seq = old.seq if old is not None else self._pushes
        p = _Pending(signal, cost, seq, wake_ms=signal.ts + 1, stale_ms=stale_ms)
        self._pending[signal.id] = p
        self._push(self._waking.setdefault((signal.venue, signal.symbol), []), p.wake_ms, p)
        self._push(self._staling, stale_ms, p)
        self._push(self._by_ts, signal.ts, p)

    def _push(self, heap: list[_Entry], due_ms: int, p: _Pending) -> None:
        self._pushes += 1
        heapq.heappush(heap, (due_ms, self._pushes, p))

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

    def _due(self, now_ms: int) -> list[_Pending]:
        """The pending signals that may have something new at ``now_ms`` (in the order they
        were tracked): a horizon reached by their market's mids, or gone stale. Every
        other one has nothing new, so is not looked at."""
        live = self._pending
        due: dict[int, _Pending] = {}
        for key, heap in self._waking.items():
            series = self._mids.get(key)
            if series is None or not len(series):
                continue
            last_ts = series.last_ts
            while heap and heap[0][0] <= last_ts:
                p = heapq.heappop(heap)[2]
                if live.get(p.signal.id) is p:
                    due[p.seq] = p
        staling = self._staling
        while staling and staling[0][0] < now_ms:
            p = heapq.heappop(staling)[2]
            if live.get(p.signal.id) is p:
                due[p.seq] = p
        return [due[k] for k in sorted(due)]

    def check(self, now_ms: int) -> None:
        updates: list[OutcomeUpdate] = []
        for p in self._due(now_ms):
            s = p.signal
            sid = s.id
            key = (s.venue, s.symbol)
            series = self._mids.get(key)
            if series is None or not len(series):
                if now_ms > p.stale_ms:
                    del self._pending[sid]
                    updates.append(OutcomeUpdate(sid, {}, True, "no CEX mids for its market"))
                continue
            last_ts = series.last_ts
            i0 = series.first_after(s.ts)
            t0 = series.times[i0] if i0 < len(series) else None
            elapsed = (
                []
                if t0 is None
                else [h for h, secs in HORIZONS.items() if t0 + secs * 1000 <= last_ts]
            )

            new = [h for h in elapsed if h not in p.done]
            final = len(elapsed) == len(HORIZONS)
            stale = now_ms > p.stale_ms
            if t0 is not None and not final:
                # the next horizon, from the start of t0's second: a late mid of that second
                # may yet replace t0 with an earlier time
                secs = min(v for h, v in HORIZONS.items() if h not in p.done and h not in new)
                p.wake_ms = t0 - t0 % 1000 + secs * 1000
            if not new and not final and not stale:
                self._push(self._waking[key], p.wake_ms, p)
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
            else:
                self._push(self._waking[key], p.wake_ms, p)
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
        self._waking.clear()
        self._staling.clear()
        self._by_ts.clear()
        if updates:
            self.sink(updates)

    def _trim(self, now_ms: int) -> None:
        """Forget mids no pending signal can need any more."""
        by_ts, live = self._by_ts, self._pending
        while by_ts and live.get(by_ts[0][2].signal.id) is not by_ts[0][2]:
            heapq.heappop(by_ts)  # labelled, or tracked again
        oldest = by_ts[0][0] if by_ts else now_ms
        cutoff = min(oldest, now_ms - (_MAX_H + self.max_gap_s) * 1000) - 1000
        for series in self._mids.values():
            series.trim_before(cutoff)

    @property
    def pending(self) -> int:
        return len(self._pending)
