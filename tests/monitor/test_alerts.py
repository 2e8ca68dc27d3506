"""Alert rules, de-duplication and rate limits by hand; then against the simulator: a
dropped feed raises a connection alert in time, clears it after recovery, and a local
webhook receives each of the two notifications exactly once."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import SecretStr

from dexcex.config import load_settings
from dexcex.config.models import AlertSettings
from dexcex.domain import FailoverEvent, HealthState, ManualClock, SourceHealth, SourceKind, VenueId
from dexcex.monitor.alerts import AlertEngine, webhook_payload
from dexcex.roots.running import running_pipeline
from tests.waiting import until

T0 = 1_700_000_000_000


def h(source: str, state: HealthState, *, errors: int = 0, limited: int = 0) -> SourceHealth:
    return SourceHealth(
        source,
        SourceKind.DEX_SOURCE,
        state,
        state is not HealthState.DOWN,
        T0,
        last_msg_age_ms=12_000,
        errors=errors,
        rate_limited=limited,
    )


def engine(**kw: Any) -> tuple[AlertEngine, ManualClock]:
    clock = ManualClock(T0)
    return AlertEngine(AlertSettings(**kw), clock), clock


def test_down_long_enough_raises_once_and_clears() -> None:
    eng, clock = engine(down_after_s=5)
    assert eng.evaluate([h("birdeye", HealthState.DOWN)]) == []
    clock.advance(4_000)
    assert eng.evaluate([h("birdeye", HealthState.DOWN)]) == []
    clock.advance(1_000)
    (ev,) = eng.evaluate([h("birdeye", HealthState.DOWN)])
    assert (ev.status, ev.alert.rule, ev.alert.severity) == ("firing", "connection", "error")
    assert ev.alert.message == "birdeye is down"
    for _ in range(3):  # still down: no repeat while open
        clock.advance(1_000)
        assert eng.evaluate([h("birdeye", HealthState.DOWN)]) == []
    (done,) = eng.evaluate([h("birdeye", HealthState.OK)])
    assert done.status == "resolved" and done.alert.cleared_ts == clock.now_ms()
    assert eng.open == {}


def test_a_flapping_source_is_not_news_every_time() -> None:
    eng, clock = engine(down_after_s=0, repeat_after_s=300)
    assert [e.status for e in eng.evaluate([h("mexc", HealthState.DOWN)])] == ["firing"]
    assert [e.status for e in eng.evaluate([h("mexc", HealthState.OK)])] == ["resolved"]
    clock.advance(60_000)
    assert eng.evaluate([h("mexc", HealthState.DOWN)]) == []  # within repeat_after_s
    clock.advance(300_000)
    eng.evaluate([h("mexc", HealthState.OK)])
    assert [e.status for e in eng.evaluate([h("mexc", HealthState.DOWN)])] == ["firing"]


def test_stale_and_bursts() -> None:
    eng, clock = engine(stale_after_s=10, rate_limit_count=3, error_burst_count=5, window_s=60)
    eng.evaluate([h("dexscreener", HealthState.STALE, limited=0, errors=0)])
    clock.advance(10_000)
    evs = eng.evaluate([h("dexscreener", HealthState.STALE, limited=3, errors=4)])
    assert {(e.alert.rule, e.status) for e in evs} == {
        ("stale_feed", "firing"),
        ("rate_limited", "firing"),
    }
    assert "3 rate-limit answers (429) in 60 s" in next(
        e.alert.message for e in evs if e.alert.rule == "rate_limited"
    )
    clock.advance(1_000)
    evs = eng.evaluate([h("dexscreener", HealthState.OK, limited=3, errors=5)])
    assert {(e.alert.rule, e.status) for e in evs} == {
        ("stale_feed", "resolved"),
        ("error_burst", "firing"),
    }


def test_events_failover_risk_limit_kill_switch() -> None:
    eng, _ = engine()
    evs = eng.failover(FailoverEvent(T0, VenueId.MEXC, VenueId.BYBIT, "mexc down"))
    assert [e.status for e in evs] == ["firing", "resolved"] and eng.open == {}
    assert "moved from mexc to bybit: mexc down" in evs[0].alert.message
    assert len(eng.risk_limit("wif", "exposure 1,200 > 1,000")) == 2
    assert eng.risk_limit("wif", "exposure 1,300 > 1,000") == []  # rate-limited
    (on,) = eng.kill_switch(True)
    assert on.alert.severity == "critical" and eng.kill_switch(True) == []
    (off,) = eng.kill_switch(False)
    assert off.status == "resolved"


def test_webhook_formats() -> None:
    eng, _ = engine(down_after_s=0)
    (ev,) = eng.evaluate([h("birdeye", HealthState.DOWN)])
    generic = webhook_payload(ev, "generic")
    assert generic["rule"] == "connection" and generic["status"] == "firing"
    assert generic["id"] == ev.id
    assert webhook_payload(ev, "slack") == {"text": "🔴 dexcex connection firing: birdeye is down"}
    tg = webhook_payload(ev, "telegram", "42")
    assert tg["chat_id"] == "42" and tg["text"].endswith("birdeye is down")


# --- against the simulator ----------------------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    got: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).got.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_a: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    _Receiver.got = []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/hook", _Receiver.got
    srv.shutdown()


SCENARIO = """\
name = "alerts"
description = "Birdeye down for a while."
seed = 5
assets = "default"

[[faults]]
at_s = 20
kind = "down"
target = "birdeye"
duration_s = 40
"""


async def test_a_dropped_feed_alerts_in_time_clears_and_hooks_once(
    tmp_path: Path, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    url, got = receiver
    sc = tmp_path / "alerts.toml"
    sc.write_text(SCENARIO, encoding="utf-8")
    base = load_settings()
    speed = 4.0
    s = base.model_copy(
        update={
            "data_dir": tmp_path,
            "pipeline": base.pipeline.model_copy(
                update={"sim_scenario": str(sc), "sim_speed": speed}
            ),
            "alerts": AlertSettings(down_after_s=3.0, webhook_url=SecretStr(url)),
        }
    )
    async with running_pipeline(s) as pipe:
        assert pipe.alerts is not None and pipe.sim is not None
        start = pipe.sim.scenario.start_ms
        fired = resolved = None
        async with asyncio.timeout(60):
            while resolved is None:
                await asyncio.sleep(0.2)
                for ev in pipe.alerts.delivered:
                    if ev.alert.dedup_key != "connection:birdeye":
                        continue
                    if ev.status == "firing" and fired is None:
                        fired = ev.ts
                    if ev.status == "resolved" and resolved is None:
                        resolved = ev.ts
        db = pipe.db
        assert db is not None

        def hooked_and_stored() -> bool:
            mine = [g for g in got if g["rule"] == "connection" and g["source"] == "birdeye"]
            rows = [a for a in db.alerts.recent() if a.dedup_key == "connection:birdeye"]
            return len(mine) >= 2 and any(a.cleared_ts is not None for a in rows)

        await until(hooked_and_stored, what="the webhook's queue drained, the alert stored")
        stored = db.alerts.recent()
    assert fired is not None and resolved is not None
    down_at, up_at = start + 20_000, start + 60_000
    # market time: the configured 3 s (×speed) plus a second of evaluation and detection
    assert down_at <= fired <= down_at + (3.0 + 2.0) * 1000 * speed, fired - down_at
    assert up_at <= resolved <= up_at + 15_000 * speed, resolved - up_at
    mine = [g for g in got if g["rule"] == "connection" and g["source"] == "birdeye"]
    assert [g["status"] for g in mine] == ["firing", "resolved"]
    assert len({g["id"] for g in got}) == len(got)  # nothing delivered twice
    row = next(a for a in stored if a.dedup_key == "connection:birdeye")
    assert row.cleared_ts == resolved


def test_a_venue_down_is_one_alert_not_one_per_stream() -> None:
    eng, _ = engine(down_after_s=0, stale_after_s=0)
    evs = eng.evaluate(
        [
            h("mexc", HealthState.DOWN),
            h("mexc:book:WIF/USDT", HealthState.STALE),
            h("mexc:trades:WIF/USDT", HealthState.DOWN),
            h("bybit", HealthState.OK),
            h("bybit:book:WIF/USDT", HealthState.STALE),
        ]
    )
    assert sorted(e.alert.dedup_key for e in evs) == [
        "connection:mexc",
        "stale_feed:bybit:book:WIF/USDT",
    ]
