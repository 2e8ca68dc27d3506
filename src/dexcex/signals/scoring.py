"""Confidence of a signal: a logistic of weighted, direction-aligned standardised scores.

    confidence = σ(bias + w_of·s_of + w_liq·s_liq + w_vp·s_vp + w_sm·s_sm + w_c·s_c
                   + w_lead·q)

with every score aligned to the trade's direction d (+1 long, −1 short), each clipped to
[−4, 4] so no single input can dominate:

- ``s_of``  = d × z-score of the trigger window's flow imbalance against its baseline;
- ``s_liq`` = d × liquidity velocity in bps of the pool per second ÷ 5 (LPs adding is
  bullish, removing bearish); a drain is −4 (bearish at full strength);
- ``s_vp``  = d × 3 × accumulation (signed volume share over the accumulation window);
- ``s_sm``  = d × 3 × net buying of repeat wallets (0 where traders are unknown);
- ``s_c``   = 4 × concentration of the trigger window's trades on the signal's side
  (1 − distinct wallets ÷ trades: a few wallets working an order, not a crowd; 0 where
  traders are unknown);
- ``q``     ∈ [0, 1]: how much the DEX has been leading this coin — 5 × the best positive
  cross-correlation when the best lag is > 0 and significant, else 0.

All weights are ≥ 0 (enforced by the settings), so confidence never falls when an
aligned score rises: the scoring is monotone in each input.
"""

from __future__ import annotations

import math

import msgspec

from dexcex.config.core_settings import ScoreWeights

__all__ = ["Scores", "confidence", "expected_move_bps"]

_CAP = 4.0


def _clip(x: float) -> float:
    return _CAP if x > _CAP else -_CAP if x < -_CAP else x


class Scores(msgspec.Struct, frozen=True):
    orderflow: float
    liquidity: float
    volume_price: float
    smart_money: float
    concentration: float
    lead: float

    @classmethod
    def aligned(
        cls,
        direction: int,
        imbalance_z: float,
        liquidity_bps_s: float,
        drain: bool,
        accumulation: float,
        smart_money: float | None,
        concentration: float | None,
        lead_quality: float,
    ) -> Scores:
        d = float(direction)
        liq = -_CAP if drain else _clip(liquidity_bps_s / 5.0)
        return cls(
            orderflow=_clip(d * imbalance_z),
            liquidity=_clip(d * liq),
            volume_price=_clip(d * 3.0 * accumulation),
            smart_money=_clip(d * 3.0 * smart_money) if smart_money is not None else 0.0,
            concentration=_clip(4.0 * concentration) if concentration is not None else 0.0,
            lead=min(1.0, max(0.0, lead_quality)),
        )

    def as_dict(self) -> dict[str, float]:
        return {f: getattr(self, f) for f in self.__struct_fields__}


def confidence(s: Scores, w: ScoreWeights) -> float:
    x = (
        w.bias
        + w.orderflow * s.orderflow
        + w.liquidity * s.liquidity
        + w.volume_price * s.volume_price
        + w.smart_money * s.smart_money
        + w.concentration * s.concentration
        + w.lead * s.lead
    )
    return 1.0 / (1.0 + math.exp(-x))


def expected_move_bps(conf: float, sigma_horizon_bps: float, multiplier: float) -> float:
    """(2c − 1) × σ over the horizon × multiplier: no edge at c = 0.5, the full spread of
    the horizon's moves (times the multiplier) at c = 1."""
    return max(0.0, (2.0 * conf - 1.0) * sigma_horizon_bps * multiplier)
