"""DEX flow of the synthetic market: noise traders, the arbitrageur who pulls each pool
back to the CEX after a delay (so normally the DEX *follows* the CEX, as in real data),
and LP adds and removals that keep a pool's depth near its usual level."""

from __future__ import annotations

import math
from collections.abc import Callable

from dexcex.sim.market.asset import AssetSim
from dexcex.sim.market.events import DexLiquidityEv, DexSwapEv
from dexcex.sim.market.pool import Pool
from dexcex.sim.market.scheduler import Scheduler

__all__ = ["DexFlows"]


class DexFlows(Scheduler):
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
