"""The synthetic market: one seeded, deterministic discrete-event simulation.

Per asset it runs a CEX "fair" mid (a random walk whose volatility switches between
regimes), a book around it on each venue, Poisson CEX trades, and one or more
constant-product DEX pools with noise traders, an arbitrageur that pulls the DEX back
to the CEX after a delay (so normally the DEX *follows* the CEX, as in real data), LP
adds and removals, and bursts of one-sided DEX flow. A burst is either *informed* —
bought or sold by a few repeat "smart" wallets and, with probability ``p_move``,
followed ``lag`` later by a CEX move of ``move_bps`` in its direction (bearish ones
may start with an LP drain) — or a *decoy*: same intensity from many unrelated
wallets, followed by nothing.

Everything is driven by a heap of timed actions and per-asset random generators, so the
same seed and scenario always produce the same events, in the same order.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dexcex.config import AssetConfig
from dexcex.sim.market.book import SimBook
from dexcex.sim.market.events import (
    Burst,
    CexBbo,
    CexBookDelta,
    CexMove,
    CexTradeEv,
    DexLiquidityEv,
    DexSwapEv,
    RegimeEv,
    SimEvent,
)
from dexcex.sim.market.ids import address, tx_hash
from dexcex.sim.market.pool import Pool
from dexcex.sim.market.specs import CexMarketSpec, spec_for
from dexcex.sim.scenario import QUOTE_USD, Scenario

__all__ = ["AssetSim", "MarketSim"]

Sink = Callable[[SimEvent], None]
_REGIMES = ("calm", "normal", "volatile")
_REGIME_WEIGHTS = (0.35, 0.45, 0.20)


def _call(fn: Callable[[], None]) -> None:
    fn()


@dataclass(slots=True)
class _Move:
    per_ms: float  # log-return per ms while active
    start: int
    until: int


@dataclass(slots=True)
class AssetSim:
    id: str
    rng: random.Random
    mid: float
    regime: str
    books: dict[str, SimBook]
    specs: dict[str, CexMarketSpec]
    basis: dict[str, float]
    pools: list[Pool]
    smart: list[str]
    retail: list[str]
    lps: list[str]
    arb: str
    spread_bps: float
    moves: list[_Move] = field(default_factory=list)
    trade_ids: dict[str, int] = field(default_factory=dict)
    taker_bias: float = 0.0  # CEX taker buy-probability shift while a move runs
    tx_n: int = 0

    def next_tx(self, chain: str) -> str:
        self.tx_n += 1
        return tx_hash(chain, f"{self.id}:{self.tx_n}")


class MarketSim:
    """Advance with ``run_until(t_ms)``; every event goes to each registered sink."""

    def __init__(self, scenario: Scenario, assets: list[AssetConfig] | None = None) -> None:
        self.scenario = scenario
        self.now = scenario.start_ms
        self.sinks: list[Sink] = []
        self.assets: dict[str, AssetSim] = {}
        self._heap: list[tuple[int, int, Callable[[Any], None], Any]] = []
        self._seq = 0
        self._episode = 0
        self.events_emitted = 0
        configs = assets if assets is not None else scenario.asset_configs()
        for cfg in configs:
            self._add_asset(cfg)

    # --- setup ------------------------------------------------------------------------

    def _add_asset(self, cfg: AssetConfig) -> None:
        sc, mp = self.scenario, self.scenario.market
        params = sc.params_for(cfg.id)
        rng = random.Random(f"{sc.seed}:{cfg.id}")
        specs = {v.value: spec_for(v.value, sym, params.price_usd) for v, sym in cfg.cex.items()}
        books = {
            v: SimBook(s, params.price_usd, params.book_depth_usd, mp.book_levels)
            for v, s in specs.items()
        }
        pools: list[Pool] = []
        for d in cfg.dex:
            chain = d.chain.value
            n = len(d.pools)
            for i, p in enumerate(d.pools):
                share = 0.7 if n > 1 and i == 0 else (0.3 / (n - 1) if n > 1 else 1.0)
                quote_usd = QUOTE_USD.get(p.quote.upper(), 1.0)
                liq = params.pool_liquidity_usd * share
                pools.append(
                    Pool(
                        asset_id=cfg.id,
                        chain=chain,
                        dex=p.dex,
                        address=p.address if chain == "solana" else p.address.lower(),
                        token=d.token if chain == "solana" else d.token.lower(),
                        quote_symbol=p.quote,
                        quote_usd=quote_usd,
                        base=liq / 2 / params.price_usd,
                        quote=liq / 2 / quote_usd,
                        fee=0.0025 if chain == "solana" else 0.003,
                        created_ms=sc.start_ms - rng.randint(30, 400) * 86_400_000,
                    )
                )
        chain0 = cfg.dex[0].chain.value
        a = AssetSim(
            id=cfg.id,
            rng=rng,
            mid=params.price_usd,
            regime="normal",
            books=books,
            specs=specs,
            basis={v: 0.0 for v in specs},
            pools=pools,
            smart=[
                address(chain0, f"smart:{cfg.id}:{i}") for i in range(sc.informed.smart_wallets)
            ],
            retail=[address(chain0, f"retail:{cfg.id}:{i}") for i in range(400)],
            lps=[address(chain0, f"lp:{cfg.id}:{i}") for i in range(6)],
            arb=address(chain0, f"arb:{cfg.id}"),
            spread_bps=params.spread_bps,
        )
        a.trade_ids = {v: 1 for v in specs}
        self.assets[cfg.id] = a
        t0 = self.now
        # Stagger the first book ticks so assets do not all update on the same ms.
        self._at(t0 + rng.randrange(mp.book_interval_ms), self._book_tick, a)
        for _venue in specs:
            self._at(t0 + self._exp(rng, mp.cex_trade_rate_hz), self._make_cex_trade(_venue), a)
        for i, _pool in enumerate(pools):
            self._at(t0 + self._exp(rng, mp.dex_noise_rate_hz), self._make_noise(i), a)
            self._at(t0 + int(rng.uniform(*mp.arb_delay_ms)), self._make_arb(i), a)
        if sc.informed.bursts_per_hour > 0:
            self._at(t0 + self._exp(rng, sc.informed.bursts_per_hour / 3600), self._burst, a)
        if mp.liquidity_events_per_hour > 0:
            self._at(t0 + self._exp(rng, mp.liquidity_events_per_hour / 3600), self._lp_event, a)
        self._at(t0 + self._exp(rng, 1 / (mp.regime_mean_minutes * 60)), self._regime, a)

    @staticmethod
    def _exp(rng: random.Random, rate_hz: float) -> int:
        return 1 + int(rng.expovariate(rate_hz) * 1000)

    def _at(self, t: int, action: Callable[[Any], None], a: Any) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (t, self._seq, action, a))

    def schedule(self, t_ms: int, fn: Callable[[], None]) -> None:
        """Run ``fn`` at market time ``t_ms``, in order with the market's own actions."""
        self._at(max(t_ms, self.now), _call, fn)

    def emit(self, ev: SimEvent) -> None:
        self.events_emitted += 1
        for sink in self.sinks:
            sink(ev)

    # --- driving ----------------------------------------------------------------------

    def run_until(self, t_ms: int) -> None:
        """Process every action scheduled up to and including ``t_ms``."""
        heap = self._heap
        pop = heapq.heappop
        while heap and heap[0][0] <= t_ms:
            t, _, action, a = pop(heap)
            self.now = t
            action(a)
        self.now = max(self.now, t_ms)

    # --- CEX ----------------------------------------------------------------------------

    def _book_tick(self, a: AssetSim) -> None:
        mp = self.scenario.market
        rng = a.rng
        dt_ms = mp.book_interval_ms
        sigma = mp.vol_bps[a.regime] * 1e-4 * math.sqrt(dt_ms / 1000.0)  # type: ignore[index]
        drift = 0.0
        if a.moves:
            now = self.now
            for m in a.moves:
                # the part of this tick's interval (now - dt, now] inside the move's window
                overlap = min(now, m.until) - max(now - dt_ms, m.start)
                if overlap > 0:
                    drift += m.per_ms * overlap
            a.moves = [m for m in a.moves if m.until > now]
            if not a.moves:
                a.taker_bias = 0.0
        a.mid *= math.exp(drift + sigma * rng.gauss(0.0, 1.0))
        t = self.now
        for venue, book in a.books.items():
            basis = a.basis[venue]
            basis += 0.05 * (rng.gauss(0.0, mp.venue_basis_bps) - basis)
            a.basis[venue] = basis
            vmid = a.mid * (1.0 + basis * 1e-4)
            half = a.spread_bps / 2 * (0.8 + 0.4 * rng.random())
            bids, asks = book.update(rng, vmid, half, resize=1 + int(rng.random() * 3))
            if bids or asks:
                first = book.version + 1
                # MEXC versions advance by several per push; Bybit's u by exactly one.
                book.version += 1 if venue == "bybit" else 1 + int(rng.random() * 12)
                spec = a.specs[venue]
                self.emit(
                    CexBookDelta(t, venue, spec.venue_symbol, first, book.version, bids, asks)
                )
            bp, bs, ap, as_ = book.best()
            self.emit(CexBbo(t, venue, a.specs[venue].venue_symbol, bp, bs, ap, as_))
        self._at(t + dt_ms, self._book_tick, a)

    def _make_cex_trade(self, venue: str) -> Callable[[AssetSim], None]:
        rate = self.scenario.market.cex_trade_rate_hz

        def trade(a: AssetSim) -> None:
            rng = a.rng
            book = a.books[venue]
            if book.bids and book.asks:
                bp, _, ap, _ = book.best()
                buy = rng.random() < 0.5 + a.taker_bias
                price = ap if buy else bp
                spec = a.specs[venue]
                usd = 250.0 * rng.lognormvariate(0.0, 1.1)
                size = max(spec.step, round(usd / price, spec.amount_dp))
                tid = a.trade_ids[venue]
                a.trade_ids[venue] = tid + 1
                self.emit(
                    CexTradeEv(
                        self.now,
                        venue,
                        spec.venue_symbol,
                        tid,
                        "buy" if buy else "sell",
                        price,
                        size,
                    )
                )
            self._at(self.now + self._exp(rng, rate), trade, a)

        return trade

    # --- DEX ----------------------------------------------------------------------------

    def _swap(
        self, a: AssetSim, pool: Pool, buy: bool, usd: float, owner: str, flow: str, episode: int
    ) -> None:
        if buy:
            quote_in = usd / pool.quote_usd
            base_out = pool.buy_with_quote(quote_in)
            base_amt, quote_amt = base_out, quote_in
        else:
            base_in = usd / pool.price_usd
            quote_out = pool.sell_base(base_in)
            base_amt, quote_amt = base_in, quote_out
        if base_amt <= 0 or quote_amt <= 0:
            return
        self.emit(
            DexSwapEv(
                self.now,
                a.id,
                pool.chain,
                pool.dex,
                pool.address,
                pool.token,
                a.next_tx(pool.chain),
                owner,
                "buy" if buy else "sell",
                base_amt,
                quote_amt,
                quote_amt * pool.quote_usd,
                pool.price_usd,
                pool.price_native,
                pool.base,
                pool.quote,
                flow,
                episode,
            )
        )

    def _make_noise(self, i: int) -> Callable[[AssetSim], None]:
        mp = self.scenario.market
        rate = mp.dex_noise_rate_hz

        def noise(a: AssetSim) -> None:
            rng = a.rng
            usd = mp.dex_noise_usd_median * rng.lognormvariate(0.0, 1.0)
            owner = a.retail[rng.randrange(len(a.retail))]
            self._swap(a, a.pools[i], rng.random() < 0.5, usd, owner, "noise", 0)
            self._at(self.now + self._exp(rng, rate), noise, a)

        return noise

    def _make_arb(self, i: int) -> Callable[[AssetSim], None]:
        mp = self.scenario.market
        thr = mp.arb_threshold_bps * 1e-4

        def arb(a: AssetSim) -> None:
            pool = a.pools[i]
            dev = pool.price_usd / a.mid - 1.0
            if abs(dev) > thr:
                # Trade half-way back inside the band: arbitrage is never perfect.
                target_usd = a.mid * (1.0 + math.copysign(thr / 2, dev))
                dq = pool.quote_to_reach(target_usd / pool.quote_usd)
                usd = abs(dq) * pool.quote_usd
                if usd > 1.0:
                    self._swap(a, pool, dq > 0, usd, a.arb, "arb", 0)
            self._at(self.now + int(a.rng.uniform(*mp.arb_delay_ms)), arb, a)

        return arb

    def _lp_event(self, a: AssetSim) -> None:
        rng = a.rng
        pool = a.pools[rng.randrange(len(a.pools))]
        # LPs come back to a pool that was drained and leave one that is overfull: the
        # depth reverts to its usual level instead of wandering off (to zero, over days)
        short = pool.target_quote / pool.quote
        p_add = min(0.95, max(0.05, 0.55 + 0.5 * math.log(short)))
        if rng.random() < p_add:
            frac = rng.uniform(0.02, 0.10) + 0.5 * max(0.0, short - 1.0)
        else:
            frac = -rng.uniform(0.02, 0.10)
        self._liquidity(a, pool, frac, a.lps[rng.randrange(len(a.lps))], 0)
        rate = self.scenario.market.liquidity_events_per_hour / 3600
        self._at(self.now + self._exp(rng, rate), self._lp_event, a)

    def _liquidity(self, a: AssetSim, pool: Pool, frac: float, owner: str, episode: int) -> None:
        db, dq = pool.scale(frac)
        self.emit(
            DexLiquidityEv(
                self.now,
                a.id,
                pool.chain,
                pool.dex,
                pool.address,
                a.next_tx(pool.chain),
                owner,
                "add" if frac > 0 else "remove",
                db,
                dq,
                pool.base,
                pool.quote,
                pool.liquidity_usd,
                episode,
            )
        )

    # --- bursts and CEX moves ----------------------------------------------------------------

    def _burst(self, a: AssetSim) -> None:
        inf = self.scenario.informed
        rng = a.rng
        self._episode += 1
        ep = self._episode
        decoy = rng.random() < inf.decoy_share
        direction = 1 if rng.random() < 0.5 else -1
        duration = int(rng.uniform(*inf.burst_ms))
        followed = (not decoy) and rng.random() < inf.p_move
        lag = int(rng.uniform(*inf.lag_ms))
        move_bps = rng.uniform(*inf.move_bps)
        move_dur = int(rng.uniform(*inf.move_duration_ms))
        drain = (not decoy) and direction < 0 and rng.random() < inf.drain_share
        t0 = self.now
        self.emit(
            Burst(
                t0,
                a.id,
                ep,
                "decoy" if decoy else "informed",
                direction,
                t0 + duration,
                followed,
                lag if followed else 0,
                move_bps if followed else 0.0,
                move_dur if followed else 0,
                drain,
            )
        )
        if drain:
            frac = -rng.uniform(*inf.drain_fraction)
            self._liquidity(a, a.pools[0], frac, a.lps[0], ep)
        self._schedule_burst_trades(a, ep, decoy, direction, t0 + duration)
        if followed:
            self._at(t0 + lag, self._make_move(ep, direction * move_bps, move_dur), a)
        self._at(self.now + self._exp(rng, inf.bursts_per_hour / 3600), self._burst, a)

    def _schedule_burst_trades(
        self, a: AssetSim, ep: int, decoy: bool, direction: int, end: int
    ) -> None:
        inf = self.scenario.informed
        flow = "decoy" if decoy else "informed"

        def trade(x: AssetSim) -> None:
            rng = x.rng
            usd = inf.burst_usd_median * rng.lognormvariate(0.0, 0.6)
            owner = (
                x.retail[rng.randrange(len(x.retail))]
                if decoy
                else x.smart[rng.randrange(len(x.smart))]
            )
            # Mostly one-sided: 85 % of the burst's trades go its way.
            buy = (direction > 0) == (rng.random() < 0.85)
            self._swap(x, x.pools[0], buy, usd, owner, flow, ep)
            nxt = self.now + self._exp(rng, inf.burst_trades_per_s)
            if nxt <= end:
                self._at(nxt, trade, x)

        self._at(self.now + 1, trade, a)

    def _make_move(self, ep: int, bps: float, duration_ms: int) -> Callable[[AssetSim], None]:
        def move(a: AssetSim) -> None:
            self.emit(CexMove(self.now, a.id, ep, bps, duration_ms, a.mid))
            total = math.log1p(bps * 1e-4)
            a.moves.append(_Move(total / duration_ms, self.now, self.now + duration_ms))
            a.taker_bias = 0.3 if bps > 0 else -0.3

        return move

    def _regime(self, a: AssetSim) -> None:
        rng = a.rng
        a.regime = rng.choices(_REGIMES, _REGIME_WEIGHTS)[0]
        self.emit(RegimeEv(self.now, a.id, a.regime))
        rate = 1 / (self.scenario.market.regime_mean_minutes * 60)
        self._at(self.now + self._exp(rng, rate), self._regime, a)
