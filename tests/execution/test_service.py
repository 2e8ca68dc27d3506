"""Execution inside a running engine: signals from the simulator are paper-traded and
labeled as their horizons elapse, written to the database while the engine runs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from dexcex.config import load_settings
from dexcex.domain import TradingMode
from dexcex.roots.running import running_pipeline
from tests.waiting import until

SPEED = 10.0  # the demo's world trades within its first market minute: a few wall seconds
# A stale bound is in market time: at 10x, one wall second of a starved process (a busy
# machine) is 10 s of silence. Bounds that tolerate a few wall seconds of that keep this
# test about execution, not about a machine too slow for 10x.
_STALL_S = 8.0


# On a starved machine the market's minutes take longer in wall time: the deadline is for
# a machine that cannot keep up at all, not a measure of speed.
@pytest.mark.timeout(600)
async def test_the_running_engine_paper_trades_and_labels(tmp_path: Path) -> None:
    base = load_settings()
    p = base.pipeline
    tolerant = {
        "sim_speed": SPEED,
        "sim_scenario": "demo",
        "stale_book_s": max(p.stale_book_s, _STALL_S * SPEED),
        "stale_trades_s": max(p.stale_trades_s, _STALL_S * SPEED),
        "stale_dex_ws_s": max(p.stale_dex_ws_s, _STALL_S * SPEED),
    }
    s = base.model_copy(
        update={
            "data_dir": tmp_path,
            "pipeline": p.model_copy(update=tolerant),
            "execution": base.execution.model_copy(update={"auto_paper": True}),
        }
    )
    async with running_pipeline(s) as pipe:
        ex = pipe.execution
        assert ex is not None and ex.mode is TradingMode.PAPER and ex.auto
        db = pipe.db
        assert db is not None
        async with asyncio.timeout(540):
            while True:
                await asyncio.sleep(0.5)
                orders = await asyncio.to_thread(db.orders.with_signal, TradingMode.PAPER)
                rows = await asyncio.to_thread(lambda: list(db.signals.iter_range()))
                labeled = [r for r in rows if r["label_30s"] is not None]
                if orders and labeled:
                    break
        # the click path: an unknown id is refused with a reason, nothing is sent
        await until(  # the journal's next flush has written them
            lambda: ex.journal.written_orders >= len(orders) and ex.journal.written_outcomes > 0,
            what="orders and outcomes written",
        )
        # An order caught in flight by the snapshot (sent, its simulated latency not yet
        # over) must reach a final state and be written: re-read until it has.
        ids = {o.client_order_id for o in orders}
        async with asyncio.timeout(120):
            while True:
                now = await asyncio.to_thread(db.orders.with_signal, TradingMode.PAPER)
                orders = [o for o in now if o.client_order_id in ids]
                if all(o.status.is_final for o in orders):
                    break
                await asyncio.sleep(0.2)
        rows = await asyncio.to_thread(lambda: list(db.signals.iter_range()))
        res = await ex.execute("no-such-signal")
        assert res.order is None and res.refused == "unknown or too old to execute"
    assert {o.client_order_id for o in orders} == ids
    executed = [r for r in rows if r["order_client_id"] in ids]
    for o in orders:
        assert o.client_order_id.startswith(("dxe", "dxx")) and o.status.is_final
    assert all(r["fill_price"] is not None for r in executed)
