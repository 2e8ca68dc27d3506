"""A signal is executed at most once, ever: repeated and concurrent clicks are answered
409 with the first order's id (never 500), a restart does not trade it again, and the
entry is stored before the click is answered — paper and live."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import httpx

from dexcex.api.app import create_app
from dexcex.core import CoreOutput
from dexcex.domain import OrderStatus, TradingMode
from dexcex.execution.journal import Journal
from dexcex.execution.live_executor import LiveExecutor
from dexcex.execution.service import ExecutionService
from dexcex.roots.virtual import paper_execution
from tests.api.test_api import book, make_glance
from tests.execution.test_live import approve as live_approve
from tests.execution.test_live import live_on_sim
from tests.factories import T0


async def _clicks(app: object, token: str, sid: str, n: int) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    headers = {"Authorization": f"Bearer {token}", "host": "127.0.0.1:8000"}
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
        return await asyncio.gather(
            *(c.post(f"/api/signals/{sid}/execute", headers=headers, json={}) for _ in range(n))
        )


async def test_twenty_concurrent_paper_clicks_make_one_order(tmp_path: Path) -> None:
    g, service, hub, token = await asyncio.to_thread(make_glance, tmp_path)
    app = create_app(g, hub, token)
    answers = await _clicks(app, token, "sig-00000001", 20)
    codes = sorted(r.status_code for r in answers)
    assert codes == [200] + [409] * 19
    (ok,) = [r for r in answers if r.status_code == 200]
    cid = ok.json()["order"]["client_order_id"]
    assert {r.json()["detail"] for r in answers if r.status_code == 409} == {
        f"already executed: order {cid}"
    }
    # stored before the 200 was answered: a crash now does not lose it
    stored = g.stored.db.orders.get(cid)
    assert stored is not None and stored.status is OrderStatus.SENT
    service.on_event(book(T0 + 6_000))
    await service.tick(T0 + 6_000, final=True)
    assert len(g.stored.db.orders.recent()) == 1


async def test_a_closed_position_is_not_a_reason_to_trade_the_signal_again(
    tmp_path: Path,
) -> None:
    g, service, _hub, _token = await asyncio.to_thread(make_glance, tmp_path)
    first = await service.execute("sig-00000001")
    assert first.order is not None
    service.on_event(book(T0 + 6_000))  # filled
    assert service.executor.open_positions() == 1
    await service.kill(flatten=True)  # closes the position
    service.on_event(book(T0 + 7_000))
    await service.release()
    assert service.executor.open_positions() == 0
    again = await service.execute("sig-00000001")
    assert again.order is None and again.existing == first.order.client_order_id
    # and never, across a restart: a new service on the same database
    await service.stop()
    db = g.stored.db
    s2 = paper_execution(g.engine.settings, service.clock, db, None, auto=False)
    out = service.signal_output("sig-00000001")
    assert out is not None
    await s2.offer(out)
    third = await s2.execute("sig-00000001")
    assert third.order is None and third.existing == first.order.client_order_id
    entries = [o for o in db.orders.recent() if o.signal_id == "sig-00000001"]
    assert [o.leg.value for o in entries] == ["exit", "entry"]


async def test_twenty_concurrent_live_clicks_place_one_order_and_release_the_rest(
    tmp_path: Path,
) -> None:
    async with live_on_sim(tmp_path, max_daily_notional_usd=100.0) as rig:
        clock = rig.world.clock
        assert clock is not None
        ex = ExecutionService(
            rig.settings,
            clock,
            Journal(rig.db),
            lambda svc: LiveExecutor(rig.trader, svc.spawn),
            auto=False,
        )
        await rig.trader.reconcile()
        book_ = await rig.router.venues[next(iter(rig.router.venues))].fetch_order_book(
            "WIF/USDT", 5
        )
        assert book_.mid is not None
        sig = rig.signal(1)
        decision = live_approve(sig, 10.0 / book_.mid, notional=10.0)
        await ex.offer(CoreOutput(sig, decision))
        results = await asyncio.gather(*(ex.execute(sig.id) for _ in range(20)))
        placed = [r for r in results if r.order is not None]
        assert len(placed) == 1
        cid = placed[0].order.client_order_id  # type: ignore[union-attr]
        assert all(r.existing == cid for r in results if r.order is None)
        assert rig.at_venue("mexc", cid) + rig.at_venue("bybit", cid) == 1
        order = placed[0].order
        assert order is not None and order.mode is TradingMode.LIVE
        day = clock.now_ms() // 86_400_000
        # only what was sent counts against the day's cap: 90 USDT more still fit
        assert rig.trader._spent[day] <= Decimal("10.5")
        other = rig.signal(2, asset="bonk")
        assert rig.trader.refusal(other, live_approve(other, 1.0, notional=80.0)) is None
        await ex.stop()
