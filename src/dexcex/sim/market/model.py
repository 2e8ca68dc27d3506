"""The synthetic market: one seeded, deterministic discrete-event simulation.

Per asset it runs a CEX "fair" mid (a random walk whose volatility switches between
regimes), a book around it on each venue, Poisson CEX trades (here), DEX pools with noise
traders, an arbitrageur and LPs (``dex``), and bursts of one-sided DEX flow that may lead
a CEX move (``bursts``).

Everything is driven by one heap of timed actions (``scheduler``) and per-asset random
generators, so the same seed and scenario always produce the same events, in the same
order.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from dexcex.config import AssetConfig
from dexcex.sim.market.asset import AssetSim
from dexcex.sim.market.book import SimBook
from dexcex.sim.market.bursts import Bursts
from dexcex.sim.market.events import CexBbo, CexBookDelta, CexTradeEv, RegimeEv
from dexcex.sim.market.ids import address
from dexcex.sim.market.pool import Pool
from dexcex.sim.market.specs import spec_for
from dexcex.sim.scenario import QUOTE_USD, AssetSimParams, Scenario

__all__ = ["AssetSim", "MarketSim"]

_REGIMES = ("calm", "normal", "volatile")
_REGIME_WEIGHTS = (0.35, 0.45, 0.20)


class MarketSim(Bursts):
    """Advance with ``run_until(t_ms)``; every event goes to each registered sink."""

    def __init__(self, scenario: Scenario, assets: list[AssetConfig] | None = None) -> None:
        super().__init__(scenario)
        self.assets: dict[str, AssetSim] = {}
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
        pools = self._pools(cfg, params, rng)
        chain0 = cfg.dex[0].chain.value
        retail = [address(chain0, f"retail:{cfg.id}:{i}") for i in range(sc.informed.noise_wallets)]
        smart, p_move = self._informed(cfg.id, chain0, retail)
        a = AssetSim(
            id=cfg.id,
            rng=rng,
            mid=params.price_usd,
            regime="normal",
            books=books,
            specs=specs,
            basis={v: 0.0 for v in specs},
            pools=pools,
            smart=smart,
            retail=retail,
            lps=[address(chain0, f"lp:{cfg.id}:{i}") for i in range(6)],
            arb=address(chain0, f"arb:{cfg.id}"),
            spread_bps=params.spread_bps,
            p_move=p_move,
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

    def _pools(self, cfg: AssetConfig, params: AssetSimParams, rng: random.Random) -> list[Pool]:
        sc = self.scenario
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
        return pools

    def _informed(self, asset_id: str, chain: str, retail: list[str]) -> tuple[list[str], float]:
        """Who trades the informed bursts, and how often a CEX move follows them.

        Either a few dedicated repeat wallets (the demo), or ``informed_wallets`` drawn
        from the noise crowd, so they trade as noise too. Both draws use their own
        generator: the market's main random stream stays as it was."""
        inf = self.scenario.informed
        side = random.Random(f"{self.scenario.seed}:{asset_id}:informed")
        p_move = side.uniform(*inf.p_move_range) if inf.p_move_range else inf.p_move
        if inf.informed_from_noise:
            k = min(inf.informed_wallets or inf.smart_wallets, len(retail))
            return side.sample(retail, k), p_move
        n = inf.informed_wallets or inf.smart_wallets
        return [address(chain, f"smart:{asset_id}:{i}") for i in range(n)], p_move

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

    def _regime(self, a: AssetSim) -> None:
        rng = a.rng
        a.regime = rng.choices(_REGIMES, _REGIME_WEIGHTS)[0]
        self.emit(RegimeEv(self.now, a.id, a.regime))
        rate = 1 / (self.scenario.market.regime_mean_minutes * 60)
        self._at(self.now + self._exp(rng, rate), self._regime, a)
