"""The running engine applies the retention policy on its own (store.prune_every_s)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from dexcex.config import load_settings
from dexcex.domain import HealthState, SourceHealth, SourceKind
from dexcex.roots.running import running_pipeline
from dexcex.store.partitions import DAY_MS
from tests.factories import make_signal


async def test_the_engine_prunes_old_rows_and_keeps_recent_ones(tmp_path: Path) -> None:
    base = load_settings()
    store = base.store.model_copy(
        update={"retention_signals_days": 30, "retention_health_days": 2, "prune_every_s": 1.0}
    )
    s = base.model_copy(update={"data_dir": tmp_path, "store": store})
    async with running_pipeline(s) as pipe:
        db = pipe.db
        assert db is not None
        now = pipe.clock.now_ms()
        old_sig, new_sig = make_signal(1, ts=now - 60 * DAY_MS), make_signal(2, ts=now - DAY_MS)
        await asyncio.to_thread(db.signals.add_many, [old_sig, new_sig])
        probe = [
            SourceHealth("probe", SourceKind.CEX_VENUE, HealthState.OK, True, now - k * DAY_MS)
            for k in (0, 5)
        ]
        await asyncio.to_thread(db.health.add, probe)

        def probes() -> list[int]:
            with db.engine.connect() as conn:
                return list(
                    conn.execute(
                        text("SELECT ts_ms FROM source_health WHERE source = 'probe'")
                    ).scalars()
                )

        async with asyncio.timeout(20):
            while await asyncio.to_thread(db.signals.get, old_sig.id) is not None:  # noqa: ASYNC110 - polling the database
                await asyncio.sleep(0.3)
        assert await asyncio.to_thread(db.signals.get, new_sig.id) is not None
        assert await asyncio.to_thread(probes) == [now]
