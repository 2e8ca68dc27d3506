"""The journal writes each row once whatever happens: the same row again is a no-op, a
conflicting one is set aside while the rest of its batch is written, and a database that
keeps refusing ends with the kill switch (reason storage) — then recovers."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest
from sqlalchemy import event

from dexcex.config import load_settings
from dexcex.domain import (
    Fill,
    HealthState,
    Liquidity,
    ManualClock,
    Order,
    OrderLeg,
    OrderStatus,
    OrderType,
    Side,
    TradingMode,
    VenueId,
    client_order_id_for,
)
from dexcex.execution.journal import Journal
from dexcex.execution.kill_switch import KillReason, KillSwitch
from dexcex.execution.paper import Execution
from dexcex.execution.service import STORAGE_RETRIES
from dexcex.roots.virtual import paper_execution
from dexcex.store import Database
from tests.factories import T0, make_signal


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    d = Database.open(f"sqlite:///{tmp_path / 'j.sqlite3'}", migrate=True)
    yield d
    d.close()


def execution(i: int, qty: str = "2", status: OrderStatus = OrderStatus.FILLED) -> Execution:
    sig = make_signal(i)
    cid = client_order_id_for(sig.id, OrderLeg.ENTRY)
    q = Decimal(qty)
    order = Order(
        cid, VenueId.MEXC, "WIF/USDT", Side.BUY, OrderType.MARKET, q, None, status,
        TradingMode.PAPER, T0, signal_id=sig.id, filled_qty=q, avg_price=Decimal("2.51"),
        ts_sent=T0, ts_updated=T0 + 50,
    )  # fmt: skip
    fill = Fill(
        cid, VenueId.MEXC, "WIF/USDT", Side.BUY, Decimal("2.51"), q, Decimal("0.001"), "USDT",
        Liquidity.TAKER, f"{cid}-0", TradingMode.PAPER, T0 + 50, T0 + 50,
    )  # fmt: skip
    return Execution(sig.id, OrderLeg.ENTRY, order, (fill,), 1.0, "signal")


def test_the_same_row_again_is_a_no_op(db: Database) -> None:
    db.signals.add(make_signal(1))
    j = Journal(db)
    j.add_execution(execution(1))
    j.flush(T0)
    j.add_execution(execution(1))  # a batch written again after a half-failed flush
    j.flush(T0)
    assert j.written_orders == 1 and j.conflicts == 0 and j.executions == []
    assert len(db.orders.recent()) == 1 and len(db.fills.recent()) == 1
    assert db.rejected.recent() == []


def test_a_conflicting_row_is_set_aside_and_the_rest_of_the_batch_is_written(
    db: Database,
) -> None:
    for i in (1, 2):
        db.signals.add(make_signal(i))
    j = Journal(db)
    j.add_execution(execution(1))
    j.flush(T0)
    seen: list[str] = []
    j.on_conflict = seen.append
    j.add_execution(execution(1, qty="5"))  # another order under the same id
    j.add_execution(execution(2))
    j.flush(T0 + 1000)
    assert j.executions == []  # nothing re-queued: the next flush has nothing to repeat
    assert j.conflicts == 1 and len(seen) == 1 and "qty" in seen[0]
    stored = {o.client_order_id: o.qty for o in db.orders.recent()}
    assert stored == {
        client_order_id_for("sig-00000001", OrderLeg.ENTRY): Decimal(2),
        client_order_id_for("sig-00000002", OrderLeg.ENTRY): Decimal(2),
    }
    (aside,) = db.rejected.recent()
    assert aside["kind"] == "order" and aside["key"].startswith("dxe0")
    assert Decimal(aside["payload"]["order"]["qty"]) == Decimal(5)


def test_a_later_state_of_a_stored_order_is_an_update_and_a_final_one_is_not_rewritten(
    db: Database,
) -> None:
    db.signals.add(make_signal(1))
    sent = execution(1, status=OrderStatus.SENT)
    db.orders.add(msgspec.structs.replace(sent.order, filled_qty=Decimal(0), avg_price=None))
    j = Journal(db)
    j.add_execution(execution(1))
    j.flush(T0)
    got = db.orders.get(sent.order.client_order_id)
    assert got is not None and got.status is OrderStatus.FILLED and j.conflicts == 0
    j.add_execution(execution(1, status=OrderStatus.CANCELED))
    j.flush(T0)
    assert j.conflicts == 1
    got = db.orders.get(sent.order.client_order_id)
    assert got is not None and got.status is OrderStatus.FILLED


def _fill_the_disk(db: Database, full: list[bool]) -> None:
    """SQLite's own "database or disk is full": no more pages than the file has now."""

    def pragma(conn: object, _rec: object) -> None:
        cur = conn.cursor()  # type: ignore[attr-defined]
        cur.execute("PRAGMA page_count")
        pages = cur.fetchone()[0]
        cur.execute(f"PRAGMA max_page_count = {pages if full[0] else 1_000_000_000}")
        cur.close()

    event.listen(db.engine, "connect", pragma)
    db.engine.dispose()


async def test_storage_failures_back_off_then_engage_the_kill_switch_then_recover(
    db: Database,
) -> None:
    clock = ManualClock(T0)
    ex = paper_execution(load_settings(), clock, db, None, auto=False)
    ex.kill_switch = KillSwitch(db.state)
    n = 60  # enough rows that they cannot fit in what is left of the file's pages
    for i in range(n):
        db.signals.add(make_signal(1000 + i))
        ex.journal.add_execution(execution(1000 + i))
    full = [True]
    _fill_the_disk(db, full)
    ticks = 0
    while not ex.kill_switch.on and ticks < 1000:
        await ex.tick(clock.now_ms())
        clock.advance(ex.flush.every_ms)
        ticks += 1
    assert ex.flush_failures == STORAGE_RETRIES
    assert ticks > 2 * STORAGE_RETRIES  # each retry waited longer than the one before
    assert ex.kill_switch.state.reason is KillReason.STORAGE
    health = ex.faults.health()
    assert health.state is HealthState.DOWN and "storage" in health.detail
    assert ex.faults.counts["storage"] == STORAGE_RETRIES
    assert len(ex.journal.executions) == n  # held, not dropped
    full[0] = False
    db.engine.dispose()
    clock.advance(64 * ex.flush.every_ms)
    await ex.tick(clock.now_ms())
    assert ex.journal.executions == [] and ex.flush_failures == 0
    assert ex.faults.health().state is HealthState.OK
    assert len(db.orders.recent(limit=1000)) == n  # every row, once
    assert ex.kill_switch.on  # until a person releases it
