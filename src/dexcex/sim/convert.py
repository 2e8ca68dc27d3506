"""The simulator's events as the engine would receive them: domain events.

Swaps and liquidity events map one to one (plus a liquidity snapshot per pool at most
every 10 s, as a poller would see it); order books are rebuilt from the deltas and
emitted once per second per market (the top 20 levels), which is what the evaluation
and the virtual-time paper runs need. Bursts and CEX moves (the ground truth) are passed
through as they are. Trades and faults are not needed and dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from dexcex.domain import (
    Asset,
    BookLevel,
    CexMarket,
    Chain,
    DexIdentity,
    DexPool,
    DexSwap,
    DomainValidationError,
    MarketEvent,
    OrderBook,
    PoolLiquidity,
    Side,
    VenueId,
)
from dexcex.sim.market.events import Burst, CexBookDelta, CexMove, DexLiquidityEv, DexSwapEv

__all__ = ["SimToDomain", "sim_asset"]

_LIQ_SNAPSHOT_MS = 10_000  # as DexScreener would be polled
_BOOK_DEPTH = 20

Converted = Asset | MarketEvent | Burst | CexMove


def sim_asset(ev: DexSwapEv) -> Asset:
    """An asset the configuration does not know (a synthetic one): named after its id."""
    symbol = ev.asset_id.upper()
    return Asset(
        ev.asset_id,
        symbol,
        (DexIdentity(Chain(ev.chain), ev.token, 9, (DexPool(ev.dex, ev.pool, "SOL"),)),),
        (CexMarket(VenueId.MEXC, f"{symbol}/USDT"), CexMarket(VenueId.BYBIT, f"{symbol}/USDT")),
    )


class SimToDomain:
    def __init__(
        self,
        known: dict[str, Asset],
        count: Callable[[str, int | None], None] | None = None,
        problem: Callable[[str], None] | None = None,
    ) -> None:
        self.known = known
        self._count = count or (lambda what, ts: None)
        self._problem = problem or (lambda why: None)
        self._sides: dict[tuple[str, str], tuple[dict[float, float], dict[float, float]]] = {}
        self._last_book_s: dict[tuple[str, str], int] = {}
        self._markets: dict[tuple[str, str], str] = {}
        self._announced: set[str] = set()
        self._last_snap: dict[str, int] = {}

    def convert(self, ev: object) -> Iterator[Converted]:
        if isinstance(ev, DexSwapEv):
            if ev.asset_id not in self._announced:
                self._announced.add(ev.asset_id)
                asset = self.known.get(ev.asset_id) or sim_asset(ev)
                for m in asset.cex:
                    self._markets[(m.venue.value, m.venue_symbol)] = m.symbol
                yield asset
            yield from self._swap(ev)
        elif isinstance(ev, DexLiquidityEv):
            if ev.asset_id in self._announced:
                yield PoolLiquidity(
                    ev.asset_id,
                    Chain(ev.chain),
                    ev.dex,
                    ev.pool,
                    ev.liquidity_usd,
                    ev.base_reserve,
                    ev.quote_reserve,
                    ev.t,
                    ev.t,
                    "sim",
                )
                self._count("liquidity events", ev.t)
        elif isinstance(ev, CexBookDelta):
            book = self._book(ev)
            if book is not None:
                yield book
        elif isinstance(ev, (Burst, CexMove)):
            yield ev

    def _swap(self, ev: DexSwapEv) -> Iterator[Converted]:
        chain = Chain(ev.chain)
        try:
            yield DexSwap(
                ev.asset_id,
                chain,
                ev.dex,
                ev.pool,
                ev.tx,
                ev.owner,
                Side(ev.side),
                ev.base_amount,
                ev.quote_amount,
                ev.usd,
                ev.price_native,
                ev.price_usd,
                ev.t,
                ev.t,
                "sim",
            )
        except DomainValidationError as exc:
            self._problem(str(exc))
            return
        self._count("swaps", ev.t)
        if ev.t - self._last_snap.get(ev.pool, 0) >= _LIQ_SNAPSHOT_MS and ev.quote_amount > 0:
            self._last_snap[ev.pool] = ev.t
            usd = ev.quote_reserve * ev.usd / ev.quote_amount * 2  # both sides, at the swap's rate
            yield PoolLiquidity(
                ev.asset_id,
                chain,
                ev.dex,
                ev.pool,
                usd,
                ev.base_reserve,
                ev.quote_reserve,
                ev.t,
                ev.t,
                "sim",
            )
            self._count("liquidity snapshots", None)

    def _book(self, ev: CexBookDelta) -> OrderBook | None:
        key = (ev.venue, ev.symbol)
        bids, asks = self._sides.setdefault(key, ({}, {}))
        for side, changes in ((bids, ev.bids), (asks, ev.asks)):
            for p, q in changes:
                if q == 0:
                    side.pop(p, None)
                else:
                    side[p] = q
        sec = ev.t // 1000
        if self._last_book_s.get(key) == sec or key not in self._markets or not (bids and asks):
            return None
        self._last_book_s[key] = sec
        top_b = sorted(bids.items(), reverse=True)[:_BOOK_DEPTH]
        top_a = sorted(asks.items())[:_BOOK_DEPTH]
        self._count("books", ev.t)
        return OrderBook(
            VenueId(ev.venue),
            self._markets[key],
            tuple(BookLevel(p, q) for p, q in top_b),
            tuple(BookLevel(p, q) for p, q in top_a),
            ev.last,
            ev.t,
            ev.t,
        )
