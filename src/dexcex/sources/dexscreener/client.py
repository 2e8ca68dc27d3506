"""DexScreener I/O: batched polling of the watched pairs on every chain.

``poll_once(emit)`` asks for every watched pair (30 per call, per chain) within the
per-minute budget and emits liquidity, price and flow deltas. A pair whose answer did
not change since the last poll is not news: a frozen upstream shows up as a stale feed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from dexcex.config.models import DexScreenerSettings
from dexcex.domain import (
    Chain,
    Clock,
    DexcexError,
    InvalidInput,
    MarketEvent,
    SourceHealth,
    SourceKind,
)
from dexcex.edge.health import HealthTracker
from dexcex.edge.http import JsonHttp
from dexcex.edge.ratelimit import RateLimiter
from dexcex.sources.dexscreener.constants import LIMITS, MAX_ADDRESSES
from dexcex.sources.dexscreener.parse import FlowDeltas, PairSnapshot, parse_pairs, snapshot_events
from dexcex.sources.index import AssetIndex

__all__ = ["DexScreenerSource"]

Emit = Callable[[MarketEvent], None]


class DexScreenerSource:
    name = "dexscreener"

    def __init__(self, settings: DexScreenerSettings, index: AssetIndex, clock: Clock) -> None:
        self.settings = settings
        self.index = index
        self.clock = clock
        # Three missed polls without news = stale.
        self.tracker = HealthTracker(
            "dexscreener",
            SourceKind.DEX_SOURCE,
            clock.now_ms,
            stale_after_ms=int(settings.poll_interval_s * 3000) + 5000,
        )
        self.http = JsonHttp("dexscreener", settings.rest_url, self.tracker, RateLimiter(LIMITS))
        self.flows = FlowDeltas()
        self._fingerprint: dict[str, tuple[object, ...]] = {}

    def batches(self) -> list[tuple[Chain, list[str]]]:
        out: list[tuple[Chain, list[str]]] = []
        for chain in Chain:
            pools = [p.address for p in self.index.pools_on(chain)]
            out += [
                (chain, pools[i : i + MAX_ADDRESSES]) for i in range(0, len(pools), MAX_ADDRESSES)
            ]
        return out

    async def poll_once(self, emit: Emit) -> int:
        """One round over every watched pair; returns the number of events emitted."""
        n = 0
        for chain, addresses in self.batches():
            obj = await self.http.get(f"/latest/dex/pairs/{chain.value}/{','.join(addresses)}")
            self.tracker.on_connect()
            now = self.clock.now_ms()
            try:
                snaps, skipped = parse_pairs(obj, self.index, now)
            except InvalidInput as exc:
                self.tracker.reject(exc.reason, str(exc))
                continue
            for reason, why in skipped:
                self.tracker.reject(reason, why)
            for s in snaps:
                n += self._emit_snapshot(s, emit)
        return n

    def _emit_snapshot(self, s: PairSnapshot, emit: Emit) -> int:
        fp = (s.price_usd, s.liquidity_usd, s.m5_buys, s.m5_sells, s.m5_volume_usd)
        if self._fingerprint.get(s.ref.address) == fp:
            return 0
        self._fingerprint[s.ref.address] = fp
        self.tracker.on_message()
        try:
            events: list[MarketEvent] = list(snapshot_events(s))
        except InvalidInput as exc:
            self.tracker.reject(exc.reason, str(exc))
            return 0
        delta = self.flows.update(s)
        if delta is not None:
            events.append(delta)
        for ev in events:
            emit(ev)
        return len(events)

    def health(self) -> SourceHealth:
        return self.tracker.snapshot()

    async def close(self) -> None:
        with contextlib.suppress(DexcexError, OSError):
            await self.http.close()
