"""A CEX-baseline signal expires like a DEX one (defect 8 of issue 21): it carries an
expiry, the stored row says so, and a click after it is refused "signal expired" while a
click before it trades."""

from __future__ import annotations

import math
from pathlib import Path

from dexcex.config import load_settings
from dexcex.config.core_settings import BaselineSettings
from dexcex.core import CoreOutput
from dexcex.domain import ManualClock, Signal
from dexcex.roots.virtual import paper_execution
from dexcex.signals.baseline import CexMomentum
from dexcex.store import Database
from tests.api.test_api import approve
from tests.factories import T0, make_book
from tests.signals.test_baseline import noise

EXPIRY_S = 120.0


def baseline_signals() -> list[Signal]:
    """Two sharp rises, far enough apart for the cooldown: two baseline signals."""
    rule = CexMomentum(BaselineSettings(cooldown_s=60), taker_fee_bps=5.0, expiry_s=EXPIRY_S)
    quiet = noise(1200)
    mids = quiet + [quiet[-1] * math.exp(i * 8e-4) for i in range(1, 61)]
    top = mids[-1]
    mids += [top] * 600 + [top * math.exp(i * 8e-4) for i in range(1, 61)]
    out = []
    for i, m in enumerate(mids):
        s = rule.on_book("wif", make_book(m, ts=T0 + i * 1000), True, 100.0, T0 + i * 1000)
        if s is not None:
            out.append(s)
    return out


async def test_a_baseline_signal_expires_and_a_click_after_it_is_refused(tmp_path: Path) -> None:
    first, second, *_ = baseline_signals()
    for sig in (first, second):
        assert sig.origin == "cex_baseline" and sig.executable
        assert sig.expires_ts == sig.ts + int(EXPIRY_S * 1000)
    db = Database.open(f"sqlite:///{tmp_path / 'b.sqlite3'}", migrate=True)
    try:
        clock = ManualClock(first.ts)
        service = paper_execution(load_settings(), clock, db, None, auto=False)
        for sig in (first, second):
            db.signals.add(sig)
            await service.offer(CoreOutput(sig, approve(sig.id)))
        row = db.signals.get(first.id)
        assert row is not None and row["expires_ms"] == first.expires_ts
        assert second.expires_ts is not None and first.expires_ts is not None
        # when the second one comes: past the first one's expiry, inside the second's
        clock.set(max(first.expires_ts + 1, second.ts))
        assert clock.now_ms() <= second.expires_ts
        late = await service.execute(first.id)
        assert late.order is None and late.refused == "signal expired"
        in_time = await service.execute(second.id)
        assert in_time.order is not None, in_time.refused
        clock.set(second.expires_ts + 1)
        service.on_event(make_book(100.0, ts=clock.now_ms()))
        assert [o.signal_id for o in db.orders.recent()] == [second.id]
        await service.stop()
    finally:
        db.close()
