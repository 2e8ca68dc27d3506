"""Execution inside a running engine: signals from the simulator are paper-traded and
labeled as their horizons elapse, written to the database while the engine runs."""

from __future__ import annotations

import asyncio
from pathlib import Path

from dexcex.config import load_settings
from dexcex.domain import TradingMode
from dexcex.pipeline.runner import running_pipeline


async def test_the_running_engine_paper_trades_and_labels(tmp_path: Path) -> None:
    base = load_settings()
    s = base.model_copy(
        update={
            "data_dir": tmp_path,
            "pipeline": base.pipeline.model_copy(update={"sim_speed": 20.0}),
            "execution": base.execution.model_copy(update={"auto_paper": True}),
        }
    )
    async with running_pipeline(s) as pipe:
        ex = pipe.execution
        assert ex is not None and ex.mode is TradingMode.PAPER and ex.auto
        db = pipe.db
        assert db is not None
        async with asyncio.timeout(90):
            while True:
                await asyncio.sleep(0.5)
                orders = await asyncio.to_thread(db.orders.with_signal, TradingMode.PAPER)
                rows = await asyncio.to_thread(lambda: list(db.signals.iter_range()))
                labeled = [r for r in rows if r["label_30s"] is not None]
                if orders and labeled:
                    break
        # the click path: an unknown id is refused with a reason, nothing is sent
        await asyncio.sleep(1.5)  # one more flush tick
        assert ex.journal.written_orders >= len(orders) and ex.journal.written_outcomes > 0
        res = await ex.execute("no-such-signal")
        assert res.order is None and res.refused == "unknown or too old to execute"
    executed = [r for r in rows if r["order_client_id"]]
    for o in orders:
        assert o.client_order_id.startswith(("dxe", "dxx")) and o.status.is_final
    assert all(r["fill_price"] is not None for r in executed)
