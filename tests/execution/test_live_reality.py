"""Live trading against a simulator that behaves like the real venues (realism on):
an order whose outcome is unknown is looked up, never rejected or failed over."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dexcex.domain import Order, OrderStatus, OrderType, Side, VenueId
from tests.execution.test_live import approve, live_on_sim


async def test_mexc_order_unknown_right_after_create_is_followed_not_failed_over(
    tmp_path: Path,
) -> None:
    # MEXC answers -2013 "Order does not exist" to a query just after the create
    async with live_on_sim(tmp_path) as rig:
        assert rig.world.scenario.realism.unknown_after_create_ms > 0
        await rig.trader.reconcile()
        sig = rig.signal(30)
        order = await rig.trader.submit(sig, approve(sig, 10))
        assert order is not None and order.status is not OrderStatus.REJECTED
        await rig.trader.wait_tracked()
        final = rig.db.orders.get(order.client_order_id)
        assert final is not None and final.status is OrderStatus.FILLED, final
        assert final.venue is VenueId.MEXC and final.filled_qty == Decimal(10)
        assert rig.at_venue("mexc", order.client_order_id) == 1
        assert not [o for o in rig.world.exchanges["bybit"].orders.values()]  # no failover
        assert [o.client_order_id for o in rig.db.orders.recent()] == [order.client_order_id]


async def test_an_entry_is_answered_at_the_ack_inside_the_2013_moment_and_its_fill_follows(
    tmp_path: Path,
) -> None:
    # The answer is the venue's acknowledgement: it comes before MEXC would even show the
    # order (-2013), and the trader's own follower brings the fill to the store and page.
    async with live_on_sim(tmp_path) as rig:
        window_ms = rig.world.scenario.realism.unknown_after_create_ms
        assert window_ms >= 500
        await rig.trader.reconcile()
        seen: list[Order] = []
        rig.trader.on_order = seen.append  # what the page is sent
        sig = rig.signal(32)
        t0 = time.monotonic()
        order = await rig.trader.submit(sig, approve(sig, 10))
        answered_ms = (time.monotonic() - t0) * 1000
        assert order is not None and order.status is OrderStatus.OPEN, order
        assert order.venue_order_id and order.client_order_id.startswith("dxe0")
        assert order.ts_ack is not None and order.filled_qty == 0
        # one round trip, not the lookups that wait out the venue's moment of not knowing it
        assert answered_ms < window_ms, answered_ms
        stored = rig.db.orders.get(order.client_order_id)
        assert stored is not None and stored.status is OrderStatus.OPEN and stored.ts_ack
        assert rig.trader.trades == {}  # no position before the venue says it filled
        await rig.trader.wait_tracked()
        final = rig.db.orders.get(order.client_order_id)
        assert final is not None and final.status is OrderStatus.FILLED, final
        assert final.filled_qty == Decimal(10) and final.ts_ack == order.ts_ack
        assert [f.qty for f in rig.db.fills.for_order(order.client_order_id)] == [Decimal(10)]
        assert rig.db.signals.get(sig.id)["order_client_id"] == order.client_order_id  # type: ignore[index]
        assert [o.status for o in seen] == [
            OrderStatus.CREATED,
            OrderStatus.OPEN,
            OrderStatus.FILLED,
        ]
        (trade,) = rig.trader.trades.values()
        assert trade.signal_id == sig.id and trade.qty == Decimal(10)
        assert rig.at_venue("mexc", order.client_order_id) == 1


async def test_the_kill_switch_finds_and_cancels_a_bybit_order_by_client_id(
    tmp_path: Path,
) -> None:
    # Bybit gives orderId priority over orderLinkId: a lookup must send orderLinkId alone
    async with live_on_sim(tmp_path) as rig:
        assert rig.world.scenario.realism.order_id_priority
        await rig.trader.reconcile()
        bybit = rig.router.venues[VenueId.BYBIT]
        book = await bybit.fetch_order_book("WIF/USDT", 5)
        assert book.best_bid is not None
        low = bybit.rules["WIF/USDT"].round_price(
            Decimal(str(book.best_bid)) * Decimal("0.7"), Side.BUY
        )
        resting = await bybit.create_order(
            "dxe0bybitrest", "WIF/USDT", Side.BUY, OrderType.LIMIT, Decimal(5), low
        )
        found = await bybit.fetch_order_by_client_id("dxe0bybitrest", "WIF/USDT")
        assert found is not None and found.venue_order_id == resting.venue_order_id
        rig.db.orders.add(resting)
        cancelled = await rig.trader.kill()
        assert [o.client_order_id for o in cancelled] == ["dxe0bybitrest"]
        assert cancelled[0].status is OrderStatus.CANCELED
        (at_venue,) = rig.world.exchanges["bybit"].orders.values()
        assert at_venue.status == "canceled"


async def test_an_unreadable_error_after_the_create_left_is_looked_up_not_failed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ccxt.async_support as ccxt

    async with live_on_sim(tmp_path) as rig:
        await rig.trader.reconcile()
        mexc = rig.router.venues[VenueId.MEXC]
        send = mexc.rest.create_order

        async def placed_then_garbled(*a: Any, **k: Any) -> Any:
            await send(*a, **k)  # the venue has the order …
            raise ccxt.ExchangeError('mexc {"code":99999,"msg":"system busy"}')  # … we hear this

        monkeypatch.setattr(mexc.rest, "create_order", placed_then_garbled)
        sig = rig.signal(31)
        order = await rig.trader.submit(sig, approve(sig, 10))
        assert order is not None
        await rig.trader.wait_tracked()
        final = rig.db.orders.get(order.client_order_id)
        assert final is not None and final.status is OrderStatus.FILLED, final
        assert final.venue is VenueId.MEXC and rig.at_venue("mexc", final.client_order_id) == 1
        assert not list(rig.world.exchanges["bybit"].orders.values())  # never failed over
