"""Risk that binds, in a running engine on the simulated market (virtual time): the
limits see the positions execution holds, the daily-loss limit trips the kill switch by
itself, and the kill switch outlives a restart."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from dexcex.config import Settings, load_settings
from dexcex.core import CoreOutput
from dexcex.domain import Order, OrderLeg, RiskReason, SignalStatus
from dexcex.execution.kill_switch import KillReason, KillSwitch
from dexcex.roots.virtual import virtual_engine
from dexcex.sim.scenario import load_scenario
from dexcex.sim.virtual_source import SimSteps
from dexcex.sim.world import SimWorld
from dexcex.store import Database

_MINUTES = 40  # market time: enough for a dozen approved signals on seed 11


@dataclass
class Seen:
    """What each delivered signal met: its decision and the portfolio risk saw."""

    outputs: list[CoreOutput] = field(default_factory=list)
    open_at_decision: list[int] = field(default_factory=list)
    refused_after_kill: list[str] = field(default_factory=list)


def _settings(tmp: Path, **risk: float) -> Settings:
    base = load_settings()
    core = base.core.model_copy(update={"risk": base.core.risk.model_copy(update=risk)}, deep=True)
    # positions stay open for the whole run: only the limits can stop new ones
    execution = base.execution.model_copy(
        update={"take_profit_bps": 10_000.0, "stop_loss_bps": 10_000.0, "exit_after_s": 86_400.0}
    )
    return base.model_copy(update={"data_dir": tmp, "core": core, "execution": execution})


async def _run(settings: Settings, db: Database, seed: int = 11) -> Seen:
    sc = load_scenario("default").model_copy(update={"seed": seed})
    # the kill switch the live engine has: persisted in the database
    ks = KillSwitch(db.state)
    ve = virtual_engine(settings, db=db, auto=True, start_ms=sc.start_ms, kill_switch=ks)
    ex = ve.execution
    assert ex is not None
    seen = Seen()

    # entries on their way, counted from the orders themselves (not from the ledger's
    # reservations, which are what is under test)
    in_flight: set[str] = set()

    def track(order: Order) -> None:
        if order.leg is OrderLeg.ENTRY:
            (in_flight.discard if order.status.is_final else in_flight.add)(order.client_order_id)

    def note(outs: list[CoreOutput], _now: int) -> None:
        for out in outs:
            seen.outputs.append(out)
            held = sum(1 for p in ex.ledger.book.open())
            seen.open_at_decision.append(held + len(in_flight))

    ex.listeners.append(track)
    ve.engine.on_delivered.append(note)
    known = {a.id: a for a in settings.domain_assets()}
    end = sc.start_ms + _MINUTES * 60_000
    await ex.start()
    await ve.engine.run(SimSteps(SimWorld(sc), known, end))
    await ex.stop()
    return seen


def _open_db(tmp: Path) -> Database:
    return Database.open(f"sqlite:///{tmp / 'risk.sqlite3'}", migrate=True)


def test_the_exposure_limit_refuses_the_signal_that_would_overrun_it(tmp_path: Path) -> None:
    # one order is 100 USD: the second position at once would be 200 > 150
    s = _settings(tmp_path, max_exposure_usd=150.0, max_per_asset_usd=10_000.0)
    db = _open_db(tmp_path)
    try:
        seen = asyncio.run(_run(s, db))
        passed = [
            (o, n)
            for o, n in zip(seen.outputs, seen.open_at_decision, strict=True)
            if o.signal.status is SignalStatus.NEW
        ]
        refused = [(o, n) for o, n in passed if RiskReason.EXPOSURE in o.decision.codes]
        approved = [(o, n) for o, n in passed if o.decision.approved]
        assert approved, "no signal was approved: the run shows nothing"
        assert refused, "the exposure limit never refused a signal"
        # the refusals came while a position was open or on its way; no approval came
        # on top of either
        assert all(n >= 1 for _, n in refused)
        assert all(n == 0 for _, n in approved)
    finally:
        db.close()


def test_a_loss_past_the_daily_limit_trips_the_kill_switch_and_a_restart_stays_killed(
    tmp_path: Path,
) -> None:
    # any open position's spread-and-fee loss is past a 0.05 USD limit
    s = _settings(tmp_path, max_daily_loss_usd=0.05)
    db = _open_db(tmp_path)
    try:
        seen = asyncio.run(_run(s, db))
        state = KillSwitch(db.state).load()
        assert state.on and state.reason is KillReason.DAILY_LOSS, state
        assert "limit" in state.detail
        # after the trip, risk refused every new signal on the kill switch
        tripped = next(
            i for i, o in enumerate(seen.outputs) if RiskReason.KILL_SWITCH in o.decision.codes
        )
        later = [o for o in seen.outputs[tripped:] if o.signal.status is SignalStatus.NEW]
        assert later and not any(o.decision.approved for o in later)
    finally:
        db.close()
    # a new process on the same database (another day's market) starts killed, and
    # refuses from its first signal
    db = _open_db(tmp_path)
    try:
        again = asyncio.run(_run(_settings(tmp_path), db, seed=12))
        fresh = [o for o in again.outputs if o.signal.status is SignalStatus.NEW]
        assert fresh and all(RiskReason.KILL_SWITCH in o.decision.codes for o in fresh)
        assert not any(o.decision.approved for o in fresh)
    finally:
        db.close()
