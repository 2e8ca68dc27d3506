"""The supervised streams of a run, built from the connectors.

One stream per connection the venues and sources need:

- CEX order book and trades per market and venue (both venues stream: the backup is hot,
  so a failover has a book to trade against at once);
- Birdeye's websocket per chain (swaps and prices) and its liquidity poll per chain;
- DexScreener's poll over every watched pair.

Each ``run`` loops until its connection fails and then raises, which the supervisor turns
into a reconnect. ``BookCheck`` compares each local book with a REST snapshot now and then
(neither venue offers a checksum on these streams) and forces a resync on a mismatch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from dexcex.domain import Chain, Clock, MarketEvent, OrderBook, SourceKind
from dexcex.logs import get_logger
from dexcex.pipeline.supervisor import StreamSpec
from dexcex.sources.birdeye.client import BirdeyeSource
from dexcex.sources.dexscreener.client import DexScreenerSource
from dexcex.venues.ccxt_venue import CcxtVenue

__all__ = ["BookCheck", "book_stream", "dex_streams", "trade_stream"]

_log = get_logger("dexcex.streams")
Emit = Callable[[MarketEvent], None]


async def _ensure_markets(venue: CcxtVenue) -> None:
    if not venue.rules:
        await venue.load_markets()


def book_stream(venue: CcxtVenue, symbol: str, stale_after_s: float) -> StreamSpec:
    async def run(emit: Emit) -> None:
        await _ensure_markets(venue)
        while True:
            emit(await venue.watch_order_book(symbol))

    return StreamSpec(f"{venue.id.value}:book:{symbol}", SourceKind.CEX_VENUE, run, stale_after_s)


def trade_stream(venue: CcxtVenue, symbol: str, stale_after_s: float) -> StreamSpec:
    async def run(emit: Emit) -> None:
        await _ensure_markets(venue)
        while True:
            for trade in await venue.watch_trades(symbol):
                emit(trade)

    return StreamSpec(f"{venue.id.value}:trades:{symbol}", SourceKind.CEX_VENUE, run, stale_after_s)


def dex_streams(
    birdeye: BirdeyeSource | None,
    dexscreener: DexScreenerSource | None,
    *,
    stale_ws_s: float,
) -> list[StreamSpec]:
    specs: list[StreamSpec] = []
    if birdeye is not None:
        for chain in birdeye.chains():
            specs.append(_birdeye_ws(birdeye, chain, stale_ws_s))
            specs.append(_birdeye_liquidity(birdeye, chain))
    if dexscreener is not None:
        ds = dexscreener

        async def poll(emit: Emit) -> None:
            while True:
                await ds.poll_once(emit)
                await asyncio.sleep(ds.settings.poll_interval_s)

        specs.append(StreamSpec("dexscreener:poll", SourceKind.DEX_SOURCE, poll, None, emits=False))
    return specs


def _birdeye_ws(src: BirdeyeSource, chain: Chain, stale_s: float) -> StreamSpec:
    async def run(emit: Emit) -> None:
        await src.stream(chain, emit)

    return StreamSpec(f"birdeye:ws:{chain.value}", SourceKind.DEX_SOURCE, run, stale_s)


def _birdeye_liquidity(src: BirdeyeSource, chain: Chain) -> StreamSpec:
    async def run(emit: Emit) -> None:
        while True:
            await src.poll_liquidity(chain, emit)
            await asyncio.sleep(src.settings.liquidity_poll_s)

    return StreamSpec(
        f"birdeye:liquidity:{chain.value}", SourceKind.DEX_SOURCE, run, None, emits=False
    )


class BookCheck:
    """Now and then, each local book against a REST snapshot of the same market.

    The two are taken at slightly different moments, so they are compared loosely: the
    REST mid must lie within the local book's best quotes widened by ``tolerance_bps``.
    A book that fails (a missed delta the sequence check could not see) is resynced.
    """

    def __init__(
        self, venues: list[CcxtVenue], clock: Clock, every_s: float, tolerance_bps: float
    ) -> None:
        self.venues = venues
        self.clock = clock
        self.every_s = every_s
        self.tolerance_bps = tolerance_bps
        self.latest: dict[tuple[str, str], OrderBook] = {}
        self.checks = 0
        self.mismatches = 0
        self.on_result: list[Callable[[str, bool], None]] = []  # (venue, agrees)

    def observe(self, ev: MarketEvent) -> None:
        if isinstance(ev, OrderBook):
            self.latest[(ev.venue.value, ev.symbol)] = ev

    def agrees(self, local: OrderBook, rest: OrderBook) -> bool:
        if local.best_bid is None or local.best_ask is None or rest.mid is None:
            return True  # nothing to compare yet
        tol = rest.mid * self.tolerance_bps / 1e4
        return local.best_bid - tol <= rest.mid <= local.best_ask + tol

    async def check_once(self) -> None:
        for venue in self.venues:
            for market in venue.markets:
                local = self.latest.get((venue.id.value, market.symbol))
                if local is None:
                    continue
                rest = await venue.fetch_order_book(market.symbol, 20)
                self.checks += 1
                current = self.latest.get((venue.id.value, market.symbol), local)
                ok = self.agrees(current, rest)
                for fn in self.on_result:
                    fn(venue.id.value, ok)
                if not ok:
                    self.mismatches += 1
                    _log.warning(
                        "local book disagrees with the REST snapshot: resync",
                        venue=venue.id.value,
                        symbol=market.symbol,
                        local_bid=current.best_bid,
                        local_ask=current.best_ask,
                        rest_mid=rest.mid,
                    )
                    venue.force_resync(market.symbol, "disagrees with the REST snapshot")

    def spec(self) -> StreamSpec:
        async def run(_emit: Emit) -> None:
            while True:
                await asyncio.sleep(self.every_s)
                await self.check_once()

        return StreamSpec("cex:bookcheck", SourceKind.CEX_VENUE, run, None, emits=False)
