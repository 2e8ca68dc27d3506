from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from dexcex.domain import (
    Fill,
    HealthState,
    Liquidity,
    NotFound,
    Order,
    OrderStatus,
    OrderType,
    Regime,
    Rejected,
    RiskDecision,
    Side,
    SignalStatus,
    SourceHealth,
    SourceKind,
    TradingMode,
    VenueId,
)
from dexcex.domain.errors import ConfigError
from dexcex.store import Alert, Database, upgrade
from tests.factories import T0, make_signal


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database.open(db_url, migrate=True)
    yield database
    database.close()


def test_open_refuses_a_database_behind_the_code(db_url: str) -> None:
    with pytest.raises(ConfigError, match="dexcex db upgrade"):
        Database.open(db_url)
    upgrade(db_url)
    Database.open(db_url).close()


def test_signal_lifecycle(db: Database) -> None:
    s = make_signal(1)
    db.signals.add(s)
    row = db.signals.get(s.id)
    assert row is not None
    assert row["status"] == "new" and row["imbalance"] == pytest.approx(0.62)
    assert row["score_orderflow"] == pytest.approx(2.9) and row["cex_mid"] == 2.5
    assert row["features"] == {"imbalance_z": 3.1, "large_share": 0.4}

    db.signals.record_risk(
        RiskDecision(
            s.id,
            T0 + 5,
            False,
            0.0,
            0.0,
            2.51,
            2.53,
            31.0,
            Regime.VOLATILE,
            ("slippage 31 bps > 25 bps", "regime volatile"),
        )
    )
    row = db.signals.get(s.id)
    assert row is not None and row["status"] == "rejected_by_risk"
    assert row["risk_reasons"] == ["slippage 31 bps > 25 bps", "regime volatile"]
    assert row["status_reason"] == "slippage 31 bps > 25 bps; regime volatile"

    db.signals.record_execution(
        s.id,
        ts_ms=T0 + 9,
        order_client_id="dxe0x",
        fill_price=Decimal("2.50231"),
        filled_qty=Decimal("120.5"),
        fees_quote=Decimal("0.150764"),
        realized_slippage_bps=9.2,
        lat_dex_to_signal_ms=41,
        lat_signal_to_order_ms=3,
        lat_order_to_ack_ms=87,
    )
    db.signals.record_outcomes(
        s.id,
        {"ret_1m_bps": 12.5, "net_1m_bps": -3.1, "label_1m": False, "mfe_1m_bps": 20.0},
        ts_ms=T0 + 60_000,
    )
    row = db.signals.get(s.id)
    assert row is not None
    assert row["status"] == "executed" and row["fill_price"] == Decimal("2.50231")
    assert row["fees_quote"] == Decimal("0.150764") and row["label_1m"] is False
    assert row["ret_5m_bps"] is None

    with pytest.raises(NotFound):
        db.signals.set_status("nope", SignalStatus.EXPIRED, T0)
    with pytest.raises(ValueError, match="not outcome columns"):
        db.signals.record_outcomes(s.id, {"status": 1.0}, T0)


def test_outcomes_written_together_equal_one_update_each_in_order(db: Database) -> None:
    sigs = [make_signal(i) for i in range(4)]
    db.signals.add_many(sigs)
    a, b, c, untouched = (s.id for s in sigs)
    batch = [
        (a, {"ret_1m_bps": 1.0, "label_1m": True}, None),
        (b, {"ret_1m_bps": 2.0, "label_1m": False}, "thin book"),
        (c, {"ret_5m_bps": -4.0}, None),
        (a, {"ret_5m_bps": 5.0, "ret_1m_bps": 1.5}, "late"),  # a later entry's column wins
    ]
    assert db.signals.record_outcomes_many(batch, T0 + 60_000) == 4
    rows = {k: db.signals.get(k) for k in (a, b, c, untouched)}
    ra, rb, rc, ru = (rows[k] for k in (a, b, c, untouched))
    assert ra is not None and rb is not None and rc is not None and ru is not None
    assert (ra["ret_1m_bps"], ra["label_1m"], ra["ret_5m_bps"]) == (1.5, True, 5.0)
    assert ra["outcome_note"] == "late" and ra["updated_ms"] == T0 + 60_000
    assert (rb["ret_1m_bps"], rb["label_1m"], rb["outcome_note"]) == (2.0, False, "thin book")
    assert (rc["ret_5m_bps"], rc["ret_1m_bps"], rc["outcome_note"]) == (-4.0, None, None)
    assert ru["ret_1m_bps"] is None and ru["updated_ms"] != T0 + 60_000
    with pytest.raises(ValueError, match="not outcome columns"):
        db.signals.record_outcomes_many([(a, {"status": 1.0}, None)], T0)


def test_latest_pages_newest_first_with_filters(db: Database) -> None:
    sigs = [make_signal(i, asset="wif" if i % 2 else "bonk") for i in range(25)]
    # two signals at the same millisecond: paging must not lose or repeat either
    sigs.append(make_signal(99, ts=sigs[10].ts))
    db.signals.add_many(sigs)
    seen: list[str] = []
    before = None
    while True:
        page = db.signals.latest(7, before=before)
        if not page:
            break
        seen += [r["id"] for r in page]
        before = (page[-1]["created_ms"], page[-1]["id"])
    assert len(seen) == len(set(seen)) == 26
    keys = [(db.signals.get(i) or {})["created_ms"] for i in seen]
    assert keys == sorted(keys, reverse=True)
    wif = db.signals.latest(100, asset_id="wif", columns=["id", "asset_id"])
    assert {r["asset_id"] for r in wif} == {"wif"} and set(wif[0]) == {"id", "asset_id"}
    db.signals.set_status(sigs[0].id, SignalStatus.EXPIRED, T0)
    assert [r["id"] for r in db.signals.latest(5, status=SignalStatus.EXPIRED)] == [sigs[0].id]
    assert db.signals.count() == 26 and db.signals.count(status=SignalStatus.EXPIRED) == 1


def _order(cid: str = "dxe0abc", **kw: object) -> Order:
    base: dict[str, object] = dict(
        client_order_id=cid,
        venue=VenueId.MEXC,
        symbol="WIF/USDT",
        side=Side.BUY,
        type=OrderType.LIMIT,
        qty=Decimal("100.25"),
        price=Decimal("2.5000001"),
        status=OrderStatus.CREATED,
        mode=TradingMode.PAPER,
        ts_created=T0,
        signal_id="sig-1",
    )
    base.update(kw)
    return Order(**base)  # type: ignore[arg-type]


def test_orders_are_unique_by_client_id_and_decimals_exact(db: Database) -> None:
    db.orders.add(_order())
    with pytest.raises(Rejected, match="exists already"):
        db.orders.add(_order())
    got = db.orders.get("dxe0abc")
    assert got is not None and got.price == Decimal("2.5000001") and got.qty == Decimal("100.25")
    assert [o.client_order_id for o in db.orders.open_orders()] == ["dxe0abc"]
    db.orders.save(
        _order(
            status=OrderStatus.FILLED,
            filled_qty=Decimal("100.25"),
            avg_price=Decimal("2.4999999"),
            ts_updated=T0 + 50,
        )
    )
    done = db.orders.get("dxe0abc")
    assert done is not None and done.status is OrderStatus.FILLED
    assert done.avg_price == Decimal("2.4999999") and db.orders.open_orders() == []
    with pytest.raises(NotFound):
        db.orders.save(_order("other"))


def test_fills_are_recorded_once(db: Database) -> None:
    f = Fill(
        "dxe0abc",
        VenueId.MEXC,
        "WIF/USDT",
        Side.BUY,
        Decimal("2.5"),
        Decimal("40"),
        Decimal("0.05"),
        "USDT",
        Liquidity.TAKER,
        "t-1",
        TradingMode.PAPER,
        T0,
        T0 + 3,
    )
    assert db.fills.add(f) is True
    assert db.fills.add(f) is False
    f2 = Fill(
        "dxe0abc",
        VenueId.MEXC,
        "WIF/USDT",
        Side.BUY,
        Decimal("2.6"),
        Decimal("60"),
        Decimal("0.078"),
        "USDT",
        Liquidity.TAKER,
        "t-2",
        TradingMode.PAPER,
        T0 + 1,
        T0 + 4,
    )
    db.fills.add(f2)
    fills = db.fills.for_order("dxe0abc")
    assert [x.trade_id for x in fills] == ["t-1", "t-2"]
    assert db.fills.vwap(fills) == Decimal("2.56")


def test_health_and_alerts(db: Database) -> None:
    def sample(src: str, ts: int, state: HealthState) -> SourceHealth:
        return SourceHealth(src, SourceKind.CEX_VENUE, state, state is HealthState.OK, ts)

    db.health.add(
        [
            sample("mexc", T0, HealthState.OK),
            sample("mexc", T0 + 5, HealthState.DOWN),
            sample("bybit", T0 + 1, HealthState.OK),
        ]
    )
    latest = {h.source: h.state for h in db.health.latest_per_source()}
    assert latest == {"mexc": HealthState.DOWN, "bybit": HealthState.OK}
    aid = db.alerts.add(Alert(T0, "stale_feed", "warning", "mexc stale 12 s", "stale:mexc", "mexc"))
    assert aid > 0 and len(db.alerts.open_alerts()) == 1
    assert db.alerts.clear("stale:mexc", T0 + 10) == 1
    assert db.alerts.open_alerts() == [] and db.alerts.recent()[0].cleared_ts == T0 + 10
