"""The page's defences (``api.guard``): allowed hosts on HTTP and WebSocket, bodies
refused before they are read and the token before parsing, headers that forbid framing
and inline script, WebSocket caps with counted refusals."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from dexcex.api.app import _static_dir, create_app
from dexcex.api.guard import GuardLimits, pump
from dexcex.api.hub import Hub
from dexcex.config import load_settings
from dexcex.domain import ManualClock
from tests.api.test_api import Rig, auth, make_glance, make_rig


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    yield from make_rig(tmp_path)


def test_a_foreign_host_is_refused_on_http_and_websocket(rig: Rig) -> None:
    evil = {"host": "evil.example", "origin": "http://evil.example"}
    r = rig.client.get("/api/status", headers=evil)
    assert r.status_code == 403 and "host" in r.json()["detail"]
    with (
        pytest.raises(WebSocketDisconnect),
        rig.client.websocket_connect("/ws", headers=evil) as ws,
    ):
        ws.receive_text()  # no snapshot for a rebinding page
    assert rig.client.get("/api/status", headers={"host": "localhost:8000"}).status_code == 200
    assert rig.client.app.state.guard.refused["host"] == 2  # type: ignore[attr-defined]


def test_a_configured_name_is_allowed(tmp_path: Path) -> None:
    base = load_settings()
    s = base.model_copy(
        update={"api": base.api.model_copy(update={"allowed_hosts": ["dexcex.lan"]})}
    )
    g, _service, hub, token = make_glance(tmp_path, s)
    with TestClient(create_app(g, hub, token), headers={"host": "dexcex.lan:8000"}) as c:
        assert c.get("/api/status").status_code == 200
    g.stored.db.close()


def test_a_big_body_is_413_before_it_is_read_and_the_token_comes_before_parsing(
    rig: Rig,
) -> None:
    big = b"x" * 200_000
    r = rig.client.post("/api/kill", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    r = rig.client.post("/api/kill", content=b"{not json", headers=auth(rig) | {"x": "1"})
    assert r.status_code == 422  # with the token, a bad body is what it is
    r = rig.client.post("/api/kill", content=b"{not json")
    assert r.status_code == 401  # without: refused before anything reads the body
    assert rig.db.orders.recent() == []
    refused = rig.client.app.state.guard.refused  # type: ignore[attr-defined]
    assert refused["body"] == 1 and refused["token"] == 1


def test_every_answer_forbids_framing_sniffing_referrers_and_inline_script(rig: Rig) -> None:
    for path in ("/", "/api/status", "/api/nothing-here"):
        h = rig.client.get(path).headers
        csp = h["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert h["x-frame-options"] == "DENY" and h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "no-referrer"


def test_the_page_needs_nothing_the_csp_forbids() -> None:
    html = (_static_dir() / "index.html").read_text(encoding="utf-8")
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S | re.I)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
    assert not re.search(r"<style\b", html, re.I)
    assert not re.search(r"\sstyle\s*=", html, re.I)
    assert not re.search(r"\son[a-z]+\s*=", html, re.I)  # inline handlers


def test_websocket_clients_are_capped_and_a_client_that_talks_is_not_dropped(
    tmp_path: Path,
) -> None:
    base = load_settings()
    s = base.model_copy(update={"api": base.api.model_copy(update={"ws_max_clients": 2})})
    g, _service, hub, token = make_glance(tmp_path, s)
    app = create_app(g, hub, token)
    c = TestClient(app, headers={"host": "127.0.0.1:8000"})
    with c, c.websocket_connect("/ws") as a, c.websocket_connect("/ws") as b:
        assert '"snapshot"' in a.receive_text() and '"snapshot"' in b.receive_text()
        with pytest.raises(WebSocketDisconnect), c.websocket_connect("/ws") as third:
            third.receive_text()
        assert app.state.guard.refused["ws_clients"] == 1
        a.send_text("hello")  # a frame from the page: read, not a reason to drop it
        hub.publish("status", {"n": 1})
        assert '"status"' in a.receive_text()
        a.send_text("x" * 5_000)  # over the message cap
        with pytest.raises(WebSocketDisconnect) as closed:
            a.receive_text()
        assert closed.value.code == 1009
        assert app.state.guard.refused["ws_message_size"] == 1
    g.stored.db.close()


async def test_a_client_that_does_not_take_its_messages_is_dropped_in_time() -> None:
    class Stuck:
        async def send_text(self, _text: str) -> None:
            await asyncio.Event().wait()  # a client that never reads

        async def receive(self) -> dict[str, str]:
            await asyncio.Event().wait()
            raise AssertionError

    lim = GuardLimits(ws_send_timeout_s=0.05)
    hub = Hub(ManualClock(0))
    client, _ = hub.connect()
    await asyncio.wait_for(pump(Stuck(), client, "snapshot", lim), 2.0)  # type: ignore[arg-type]
    assert lim.refused["ws_slow"] == 1
