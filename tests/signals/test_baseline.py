from __future__ import annotations

import math

from dexcex.config.core_settings import BaselineSettings
from dexcex.domain import Direction
from dexcex.signals.baseline import CexMomentum
from tests.factories import T0, make_book


def run(mids: list[float], **kw: object) -> list:
    rule = CexMomentum(BaselineSettings(**kw), taker_fee_bps=5.0, expiry_s=120.0)  # type: ignore[arg-type]
    out = []
    for i, m in enumerate(mids):
        s = rule.on_book("wif", make_book(m, ts=T0 + i * 1000), True, 100.0, T0 + i * 1000)
        if s is not None:
            out.append(s)
    return out


def noise(n: int, bps: float = 2.0) -> list[float]:
    mid, out = 100.0, []
    for i in range(n):
        mid *= math.exp((bps if i % 2 else -bps) * 1e-4 * (1 + (i % 7) / 7))
        out.append(mid)
    return out


def test_a_sharp_cex_move_is_a_baseline_signal_and_noise_is_not() -> None:
    quiet = noise(1200)
    assert run(quiet, lookback_s=60, k_sigma=3.0) == []
    jump = [quiet[-1] * math.exp(i * 8e-4) for i in range(1, 61)]  # +8 bps a second
    (sig,) = run(quiet + jump, lookback_s=60, k_sigma=3.0, cooldown_s=300)
    assert sig.origin == "cex_baseline" and sig.direction is Direction.LONG
    assert sig.features["ret_lookback_bps"] > 3 * sig.features["sigma_lookback_bps"]
    assert sig.cex is not None and sig.executable


def test_a_drop_is_a_short_not_executable_on_spot_and_disabled_means_silent() -> None:
    quiet = noise(1200)
    drop = [quiet[-1] * math.exp(-i * 8e-4) for i in range(1, 61)]
    (sig,) = run(quiet + drop)
    assert sig.direction is Direction.SHORT and not sig.executable
    assert run(quiet + drop, enabled=False) == []
