"""Every endpoint of the One Glance API, good and bad input, against a real database and
the real execution service (paper), without a network."""

from __future__ import annotations

import asyncio
import json
import stat
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from starlette.websockets import WebSocketDisconnect

from dexcex.api.app import create_app
from dexcex.api.hub import Hub
from dexcex.api.service import LocalGlance, StoredReads
from dexcex.api.token import load_or_create_token
from dexcex.config import Settings, load_settings
from dexcex.core import CoreOutput
from dexcex.domain import (
    BookLevel,
    HealthState,
    ManualClock,
    OrderBook,
    Regime,
    RiskDecision,
    SourceHealth,
    SourceKind,
    VenueId,
)
from dexcex.execution.service import ExecutionService
from dexcex.monitor.metrics import Metrics
from dexcex.roots.virtual import paper_execution
from dexcex.store import Database
from tests.factories import T0, make_signal

SECRET = "mexc-api-secret-never-shown-42"


def approve(sid: str, approved: bool = True) -> RiskDecision:
    return RiskDecision(sid, T0, approved, 2.0, 5.0, 2.5, 2.5, 4.0, Regime.NORMAL, ("ok",))


def book(ts: int) -> OrderBook:
    return OrderBook(
        VenueId.MEXC,
        "WIF/USDT",
        (BookLevel(2.49, 100.0),),
        (BookLevel(2.51, 1.0), BookLevel(2.52, 100.0)),
        1,
        ts,
        ts,
    )


class Rig(SimpleNamespace):
    client: TestClient
    db: Database
    clock: ManualClock
    service: ExecutionService
    hub: Hub
    token: str
    health: list[SourceHealth]


def make_rig(tmp_path: Path, settings: Settings | None = None) -> Iterator[Rig]:
    g, service, hub, token = make_glance(tmp_path, settings)
    app = create_app(g, hub, token)
    with TestClient(app, headers={"host": "127.0.0.1:8000"}) as client:
        yield Rig(
            client=client,
            db=g.stored.db,
            clock=service.clock,
            service=service,
            hub=hub,
            token=token,
            health=g.engine.health(),
        )
    g.stored.db.close()


def make_glance(
    tmp_path: Path, settings: Settings | None = None
) -> tuple[LocalGlance, ExecutionService, Hub, str]:
    """What the API reads from: three stored signals (two approved), an execution service
    in paper mode, canned health. No server is started."""
    base = settings or load_settings()
    s = base.model_copy(
        update={
            "data_dir": tmp_path,
            "venues": base.venues.model_copy(
                update={
                    "mexc": base.venues.mexc.model_copy(
                        update={"api_key": SecretStr("k" * 20), "api_secret": SecretStr(SECRET)}
                    )
                }
            ),
        }
    )
    db = Database.open(f"sqlite:///{tmp_path / 'api.sqlite3'}", migrate=True)
    clock = ManualClock(T0 + 5_000)
    service = paper_execution(s, clock, db, None, auto=False)
    hub = Hub(clock)
    health = [
        SourceHealth("mexc", SourceKind.CEX_VENUE, HealthState.OK, True, T0),
        SourceHealth("mexc:book:WIF/USDT", SourceKind.CEX_VENUE, HealthState.STALE, True, T0),
        SourceHealth("birdeye", SourceKind.DEX_SOURCE, HealthState.OK, True, T0),
    ]
    pipe = SimpleNamespace(
        settings=s,
        clock=clock,
        execution=service,
        core=None,
        engine=SimpleNamespace(events=10, signals=3),
        bus=SimpleNamespace(dropped=0),
        accuracy=None,
        metrics=Metrics(),
        health=lambda: health,
    )
    token, _ = load_or_create_token(tmp_path)
    g = LocalGlance(pipe, StoredReads(s, db))
    for i in range(1, 4):
        sig = make_signal(i, ts=T0 + i * 1000, asset="wif" if i < 3 else "bonk")
        db.signals.add_decided([(sig, approve(sig.id, approved=i != 2))])
        asyncio.run(service.offer(CoreOutput(sig, approve(sig.id, approved=i != 2))))
    return g, service, hub, token


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    yield from make_rig(tmp_path)


def auth(rig: Rig) -> dict[str, str]:
    return {"Authorization": f"Bearer {rig.token}"}


def test_signals_are_paged_newest_first_and_filtered(rig: Rig) -> None:
    r = rig.client.get("/api/signals", params={"limit": 2})
    assert r.status_code == 200
    page = r.json()
    assert [s["id"] for s in page["items"]] == ["sig-00000003", "sig-00000002"]
    assert page["next_before"] == f"{T0 + 2000}:sig-00000002"
    r2 = rig.client.get("/api/signals", params={"limit": 2, "before": page["next_before"]})
    assert [s["id"] for s in r2.json()["items"]] == ["sig-00000001"]
    assert r2.json()["next_before"] is None
    only = rig.client.get("/api/signals", params={"asset": "bonk"}).json()["items"]
    assert [s["asset_id"] for s in only] == ["bonk"]
    rejected = rig.client.get("/api/signals", params={"status": "rejected_by_risk"}).json()
    assert [s["id"] for s in rejected["items"]] == ["sig-00000002"]
    first = page["items"][0]
    assert first["risk_decision"] == "approved" and first["est_slippage_bps"] == 4.0
    assert first["est_price"] == pytest.approx(2.5 * (1 + 4.0 / 1e4))


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"limit": 0}, "limit: Input should be greater than or equal to 1"),
        ({"limit": "many"}, "limit: Input should be a valid integer"),
        ({"status": "bogus"}, "status: Input should be"),
        ({"before": "yesterday"}, "before: String should match pattern"),
    ],
)
def test_bad_query_is_a_clear_422(rig: Rig, params: dict[str, Any], needle: str) -> None:
    r = rig.client.get("/api/signals", params=params)
    assert r.status_code == 422 and needle in r.json()["detail"], r.json()


def test_one_signal_with_its_breakdown_and_404(rig: Rig) -> None:
    r = rig.client.get("/api/signals/sig-00000001")
    assert r.status_code == 200
    d = r.json()
    assert d["features"] == {"imbalance_z": 3.1, "large_share": 0.4}
    assert d["dex"]["chain"] == "solana" and d["cex"]["mid"] == 2.5
    assert d["scores"]["orderflow"] == 2.9 and "label_5m" in d["outcomes"]
    missing = rig.client.get("/api/signals/nope")
    assert missing.status_code == 404 and missing.json() == {"detail": "no signal 'nope'"}
    assert rig.client.get("/api/signals/bad id!").status_code == 422


def test_execute_needs_the_token(rig: Rig) -> None:
    url = "/api/signals/sig-00000001/execute"
    r = rig.client.post(url)
    assert r.status_code == 401 and "needs the API token" in r.json()["detail"]
    r = rig.client.post(url, headers={"Authorization": "Bearer wrong-token-123456"})
    assert r.status_code == 401
    r = rig.client.post(url, headers={"Authorization": rig.token})  # not "Bearer …"
    assert r.status_code == 401
    assert rig.db.orders.recent() == []


def test_execute_paper_then_the_fill_comes(rig: Rig) -> None:
    seen: list[Any] = []
    rig.service.listeners.append(seen.append)
    r = rig.client.post("/api/signals/sig-00000001/execute", headers=auth(rig), json={})
    assert r.status_code == 200, r.json()
    o = r.json()["order"]
    assert r.json()["mode"] == "paper" and o["status"] == "sent" and o["side"] == "buy"
    assert o["client_order_id"].startswith("dxe0")
    rig.service.on_event(book(T0 + 6_000))  # the next book after the paper latency
    assert seen[-1].status.value == "filled" and float(seen[-1].avg_price) == pytest.approx(
        (2.51 * 1 + 2.52 * 1) / 2
    )
    again = rig.client.post("/api/signals/sig-00000001/execute", headers=auth(rig))
    assert again.status_code == 409
    assert again.json()["detail"] == f"already executed: order {o['client_order_id']}"
    refused = rig.client.post("/api/signals/sig-00000002/execute", headers=auth(rig))
    assert refused.status_code == 409 and refused.json()["detail"] == (
        "not executed: rejected by risk"
    )
    unknown = rig.client.post("/api/signals/sig-404/execute", headers=auth(rig))
    assert unknown.status_code == 404
    bad = rig.client.post(
        "/api/signals/sig-00000003/execute", headers=auth(rig), json={"confirm": "maybe"}
    )
    assert bad.status_code == 422 and "confirm" in bad.json()["detail"]


def test_live_mode_needs_a_confirmation(tmp_path: Path) -> None:
    base = load_settings()
    s = base.model_copy(update={"live": base.live.model_copy(update={"enabled": True})})
    client, token = make_rig_live_glance(tmp_path, s)
    r = client.post(
        "/api/signals/sig-00000001/execute", headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 409 and "confirm" in r.json()["detail"]


def make_rig_live_glance(tmp_path: Path, s: Settings) -> tuple[TestClient, str]:
    """A live-mode API over a stub execution (the live trader itself is tested elsewhere)."""
    db = Database.open(f"sqlite:///{tmp_path / 'live.sqlite3'}", migrate=True)
    clock = ManualClock(T0)
    sig = make_signal(1)
    db.signals.add_decided([(sig, approve(sig.id))])
    ex = SimpleNamespace(signal_output=lambda _sid: CoreOutput(sig, approve(sig.id)))
    pipe = SimpleNamespace(execution=ex, settings=s, clock=clock)
    g = LocalGlance(pipe, StoredReads(s, db))  # type: ignore[arg-type]
    app = create_app(g, Hub(clock), "t" * 32)
    return TestClient(app, headers={"host": "127.0.0.1:8000"}), "t" * 32


def test_positions_orders_status_alerts_performance_assets(rig: Rig) -> None:
    rig.client.post("/api/signals/sig-00000001/execute", headers=auth(rig))
    rig.service.on_event(book(T0 + 6_000))
    pos = rig.client.get("/api/positions").json()
    assert pos and pos[0]["asset_id"] == "wif" and pos[0]["qty"] == 2.0
    st = rig.client.get("/api/status").json()
    assert st["mode"] == "paper" and st["auto_execute"] is False
    lights = {x["name"]: x["light"] for x in st["sources"]}
    assert lights == {"mexc": "amber", "birdeye": "green"}  # a stale stream makes mexc amber
    assert rig.client.get("/api/alerts").status_code == 200
    assert rig.client.get("/api/orders").status_code == 200
    perf = rig.client.get("/api/performance")
    assert perf.status_code == 200 and perf.json()["mode"] == "paper"
    assert rig.client.get("/api/assets").json() == []  # no core in this rig


def test_no_secret_in_any_answer(rig: Rig) -> None:
    bodies = [
        rig.client.get(p).text
        for p in (
            "/api/status",
            "/api/signals",
            "/api/positions",
            "/api/orders",
            "/api/alerts",
            "/api/performance",
            "/openapi.json",
            "/",
        )
    ]
    with rig.client.websocket_connect("/ws") as ws:
        bodies.append(ws.receive_text())
    assert all(SECRET not in b and "k" * 20 not in b for b in bodies)


def test_websocket_snapshot_then_numbered_messages(rig: Rig) -> None:
    with rig.client.websocket_connect("/ws") as ws:
        snap = json.loads(ws.receive_text())
        assert snap["type"] == "snapshot" and snap["seq"] == rig.hub.seq
        assert [s["id"] for s in snap["data"]["signals"]][:1] == ["sig-00000003"]
        assert snap["data"]["status"]["mode"] == "paper"
        rig.hub.publish("alert", {"message": "one"})
        rig.hub.publish("alert", {"message": "two"})
        a, b = json.loads(ws.receive_text()), json.loads(ws.receive_text())
        assert (a["seq"], b["seq"]) == (snap["seq"] + 1, snap["seq"] + 2)
        assert b["data"] == {"message": "two"}


def test_websocket_refuses_other_origins(rig: Rig) -> None:
    evil = {"origin": "https://evil.example"}
    with (
        pytest.raises(WebSocketDisconnect) as exc,
        rig.client.websocket_connect("/ws", headers=evil) as ws,
    ):
        ws.receive_text()
    assert exc.value.code == 1008
    with rig.client.websocket_connect("/ws", headers={"origin": "http://127.0.0.1:8000"}) as ws:
        assert json.loads(ws.receive_text())["type"] == "snapshot"


def test_prices_are_throttled_per_market_and_the_last_one_is_sent(rig: Rig) -> None:
    hub = rig.hub
    with rig.client.websocket_connect("/ws") as ws:
        ws.receive_text()
        start = hub.seq
        for i in range(5):
            hub.on_market(book(rig.clock.now_ms() + i))
        assert hub.seq == start + 1  # the leading edge only
        rig.clock.advance(150)
        hub.flush_prices()
        assert hub.seq == start + 2  # …and the trailing one
        first, last = json.loads(ws.receive_text()), json.loads(ws.receive_text())
        assert first["type"] == last["type"] == "price" and last["data"]["price"] == 2.5


def test_the_token_file_is_private_and_reused(tmp_path: Path) -> None:
    t1, created = load_or_create_token(tmp_path)
    assert created and len(t1) >= 32
    mode = stat.S_IMODE((tmp_path / "api-token").stat().st_mode)
    assert mode == 0o600
    assert load_or_create_token(tmp_path) == (t1, False)


def test_the_page_and_its_vendored_chart_library_are_served(rig: Rig) -> None:
    page = rig.client.get("/")
    assert page.status_code == 200 and "One Glance" in page.text
    for path in ("/static/app.js", "/static/style.css", "/static/vendor/uPlot.iife.min.js"):
        assert rig.client.get(path).status_code == 200, path
    assert "cdn" not in page.text.lower()
    icon = rig.client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg")


def test_the_vendored_files_are_the_ones_npm_pinned() -> None:
    import hashlib
    from importlib import resources

    vendor = Path(str(resources.files("dexcex") / "web" / "static" / "vendor"))
    pinned = json.loads((vendor / "VENDOR.json").read_text())
    assert pinned["uplot"]["version"] == "1.6.32"
    for name, digest in pinned["sha256"].items():
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == digest, name


def test_the_feed_reads_every_column_its_rows_show(rig: Rig) -> None:
    """The list reads SIGNAL_OUT_COLUMNS only: a field the row shows but the list does not
    read would silently be empty on the page."""
    from dexcex.api.views import SIGNAL_OUT_COLUMNS
    from dexcex.api.views import signal_from_row as _signal_out

    r = rig.client.post("/api/signals/sig-00000003/execute", headers=auth(rig), json={})
    assert r.status_code == 200  # an executed signal: order and fill columns filled too
    full = rig.db.signals.latest(10)
    narrow = rig.db.signals.latest(10, columns=SIGNAL_OUT_COLUMNS)
    assert [_signal_out(a) for a in full] == [_signal_out(b) for b in narrow]
    assert any(a["risk_decision"] is not None for a in full)


def priced_book(ts: int, bid: float, ask: float) -> OrderBook:
    return OrderBook(
        VenueId.MEXC, "WIF/USDT", (BookLevel(bid, 100.0),), (BookLevel(ask, 100.0),), 1, ts, ts
    )


def test_a_round_trip_shows_its_exits_then_its_history(rig: Rig) -> None:
    rig.client.post("/api/signals/sig-00000001/execute", headers=auth(rig))
    rig.service.on_event(book(T0 + 6_000))
    pos = rig.client.get("/api/positions").json()[0]
    avg = pos["avg_price"]
    assert pos["take_profit"] == pytest.approx(avg * 1.008)  # 80 bps, the default
    assert pos["stop_loss"] == pytest.approx(avg * 0.995)  # 50 bps
    assert pos["exit_at_ms"] == pos["opened_ms"] + 900_000
    assert rig.client.get("/api/history").json()["trades"] == []
    for k in range(1, 6):  # the mid 1.6 % up: take profit, filled after the paper latency
        rig.service.on_event(priced_book(T0 + 6_000 + k * 1_000, 2.55, 2.56))
    asyncio.run(rig.service.tick(rig.clock.now_ms(), final=True))  # the journal written
    h = rig.client.get("/api/history").json()
    assert len(h["trades"]) == 1, h
    t = h["trades"][0]
    assert t["asset_id"] == "wif" and t["exit_reason"] == "take profit" and t["pnl"] > 0
    assert t["exit"] == pytest.approx(2.55) and t["duration_s"] > 0
    assert h["equity"] == [[t["closed_ms"], pytest.approx(t["pnl"])]]
    assert h["by_asset"][0]["asset_id"] == "wif" and h["by_asset"][0]["trades"] == 1
    assert h["by_origin"]["dex"]["round_trips"] == 1


def test_a_position_is_closed_on_request_with_the_token(rig: Rig) -> None:
    body = {"asset_id": "wif", "origin": "dex"}
    assert rig.client.post("/api/positions/exit", json=body).status_code == 401
    r = rig.client.post("/api/positions/exit", headers=auth(rig), json=body)
    assert r.status_code == 409 and "no open wif position" in r.json()["detail"]
    rig.client.post("/api/signals/sig-00000001/execute", headers=auth(rig))
    rig.service.on_event(priced_book(T0 + 6_000, 2.514, 2.516))  # fills; no exit is due
    pos = rig.client.get("/api/positions").json()[0]
    assert pos["qty"] > 0
    body["origin"] = pos["origin"]
    r = rig.client.post("/api/positions/exit", headers=auth(rig), json=body)
    assert r.status_code == 200 and r.json()["leg"] == "exit", r.text
    rig.service.on_event(priced_book(T0 + 8_000, 2.514, 2.516))  # … after the paper latency
    assert all(p["qty"] == 0 for p in rig.client.get("/api/positions").json())
    again = rig.client.post("/api/positions/exit", headers=auth(rig), json=body)
    assert again.status_code == 409


def test_automatic_trading_is_paused_and_resumed_with_the_token(rig: Rig) -> None:
    assert rig.client.post("/api/auto", json={"on": True}).status_code == 401
    r = rig.client.post("/api/auto", headers=auth(rig), json={"on": True})
    assert r.status_code == 200 and r.json()["auto_execute"] is True and rig.service.auto
    r = rig.client.post("/api/auto", headers=auth(rig), json={"on": False})
    assert r.json()["auto_execute"] is False and not rig.service.auto


def test_the_drill_down_has_contributions_and_latency(rig: Rig) -> None:
    from dexcex.config.core_settings import ScoreWeights

    d = rig.client.get("/api/signals/sig-00000001").json()
    w = ScoreWeights()  # the shipped fit's (config/rule_fit)
    assert d["contributions"]["bias"] == w.bias
    assert set(d["latency_ms"]) == {
        "dex_event_to_received",
        "received_to_signal",
        "signal_to_order",
        "order_to_ack",
    }
    assert d["latency_ms"]["dex_event_to_received"] == d["trigger_recv_ms"] - d["trigger_event_ms"]


def test_an_api_process_can_pause_automatic_trading_of_the_engine(tmp_path: Path) -> None:
    # what `--role api` forwards ("auto") is what the engine's command handler does
    from dexcex.api.relay import OPS
    from dexcex.roots.page import command_handler

    assert "auto" in OPS
    glance, service, _hub, _token = make_glance(tmp_path)
    handle = command_handler(glance)
    service.auto = True
    answer = asyncio.run(handle("auto", {"on": False}))
    assert answer.status == 200 and answer.body is not None
    assert answer.body["auto_execute"] is False and service.auto is False
    glance.stored.db.close()
