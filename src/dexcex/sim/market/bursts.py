"""Bursts of one-sided DEX flow, and the CEX moves that may follow them.

A burst is either *informed* — traded by wallets that know, and with probability
``p_move`` followed ``lag`` later by a CEX move of ``move_bps`` in its direction (bearish
ones may start with an LP drain) — or a *decoy*: the same intensity from unrelated
wallets, followed by nothing. Who the informed wallets are is the scenario's choice: a
few repeat "smart" wallets (the lively demo), or many wallets drawn from the same crowd
that trades as noise (``informed.informed_from_noise``, the ``realistic`` scenario), so
that a wallet's identity says little.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from dexcex.sim.market.asset import AssetSim, Move
from dexcex.sim.market.dex import DexFlows
from dexcex.sim.market.events import Burst, CexMove

__all__ = ["Bursts"]


class Bursts(DexFlows):
    def _burst(self, a: AssetSim) -> None:
        inf = self.scenario.informed
        rng = a.rng
        self._episode += 1
        ep = self._episode
        decoy = rng.random() < inf.decoy_share
        direction = 1 if rng.random() < inf.long_share else -1
        duration = int(rng.uniform(*inf.burst_ms))
        followed = (not decoy) and rng.random() < a.p_move
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
        crowd = a.retail if decoy else a.smart
        if not decoy and inf.wallets_per_burst:
            # this burst's traders: a few of the informed, a different few each time
            crowd = random.Random(f"{self.scenario.seed}:{a.id}:{ep}").sample(
                crowd, min(inf.wallets_per_burst, len(crowd))
            )

        def trade(x: AssetSim) -> None:
            rng = x.rng
            usd = inf.burst_usd_median * rng.lognormvariate(0.0, 0.6)
            owner = crowd[rng.randrange(len(crowd))]
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
            a.moves.append(Move(total / duration_ms, self.now, self.now + duration_ms))
            a.taker_bias = 0.3 if bps > 0 else -0.3

        return move
