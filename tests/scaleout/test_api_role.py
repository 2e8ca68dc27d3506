"""`--role api`: the page of an engine running in another process, through Redis and the
shared store. A collector, an engine and an API process run separately against the
simulator: the API's WebSocket shows the engine's signals, prices and status as they
happen; a click on the API is executed by the engine (and refused with the engine's
reason when it cannot be); with the engine gone, a click is answered 503, never queued
for later, and the page shows the engine red."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect

from tests.running import Proc, free_port, listening, start_sim

SCENARIO = """\
name = "api-role"
description = "The default world with more informed bursts."
seed = 21
assets = "default"

[informed]
bursts_per_hour = 40
"""


def _wait_listening(port: int, proc: Proc, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not listening(port):
        assert proc.p.poll() is None, proc.text()[-3000:]
        assert time.monotonic() < deadline, f"{proc.name} is not listening on {port}"
        time.sleep(0.2)


def test_the_api_process_shows_the_engines_page_and_forwards_clicks(
    tmp_path: Path, redis_url: str
) -> None:
    (tmp_path / "scenario.toml").write_text(SCENARIO, encoding="utf-8")
    sim, _desc, desc_line = start_sim("--speed", "4", "--scenario", str(tmp_path / "scenario.toml"))
    (tmp_path / "sim.json").write_text(desc_line, encoding="utf-8")
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("DEXCEX_")}
    common = ["run", "--no-status", "--redis", redis_url]
    sim_args = ["--sim-connect", str(tmp_path / "sim.json")]
    engine_port, api_port = free_port(), free_port()
    db_url = f"sqlite:///{tmp_path / 'engine' / 'dexcex.sqlite3'}"
    procs: list[Proc] = []
    try:
        procs.append(
            Proc(
                "collector",
                [*common, *sim_args, "--role", "collector", "--shard", "0/1"],
                tmp_path,
                {**base_env, "DEXCEX_DATA_DIR": str(tmp_path / "c0")},
            )
        )
        engine = Proc(
            "engine",
            [*common, *sim_args, "--role", "engine", "--page-relay"],
            tmp_path,
            {
                **base_env,
                "DEXCEX_DATA_DIR": str(tmp_path / "engine"),
                "DEXCEX_API__PORT": str(engine_port),
                # more signals pass the filters, so one to click comes soon
                "DEXCEX_CORE__SIGNALS__MIN_CONFIDENCE": "0.52",
                "DEXCEX_CORE__SIGNALS__MOVE_MULTIPLIER": "20",
                # the page under test, not the data-accuracy rule (tests/monitor covers it)
                "DEXCEX_ACCURACY__MIN_SHARE": "0",
            },
        )
        procs.append(engine)
        _wait_listening(engine_port, engine)
        api = Proc(
            "api",
            [*common, "--role", "api"],
            tmp_path,
            {
                **base_env,
                "DEXCEX_DATA_DIR": str(tmp_path / "api"),
                "DEXCEX_API__PORT": str(api_port),
                "DEXCEX_STORE__URL": db_url,
            },
        )
        procs.append(api)
        _wait_listening(api_port, api)
        token = (tmp_path / "api" / "api-token").read_text().strip()
        auth = {"Authorization": f"Bearer {token}"}
        base = f"http://127.0.0.1:{api_port}"

        seen: dict[str, int] = {}
        approved: list[dict[str, Any]] = []
        with connect(f"ws://127.0.0.1:{api_port}/ws", open_timeout=5) as ws:
            snap = json.loads(ws.recv(timeout=10))
            assert snap["type"] == "snapshot"
            seq = snap["seq"]
            deadline = time.monotonic() + 150
            while time.monotonic() < deadline and not (
                approved and seen.get("price") and seen.get("status")
            ):
                try:
                    msg = json.loads(ws.recv(timeout=1))
                except TimeoutError:
                    continue
                assert msg["seq"] == seq + 1, "the API's own sequence has no gap"
                seq = msg["seq"]
                seen[msg["type"]] = seen.get(msg["type"], 0) + 1
                d = msg["data"]
                if msg["type"] == "signal" and d["risk_decision"] == "approved":
                    approved.append(d)
            assert approved and seen.get("price") and seen.get("status"), (seen, api.text())

            # the engine's state, as the API answers it
            status = httpx.get(f"{base}/api/status", timeout=5).json()
            assert status["mode"] == "paper"
            assert {"[0/1] mexc", "[0/1] birdeye"} <= {s["name"] for s in status["sources"]}
            page = httpx.get(f"{base}/api/signals", params={"limit": 200}, timeout=5).json()
            assert approved[0]["id"] in {s["id"] for s in page["items"]}  # the shared store

            # clicks: on the API, executed by the engine
            r = httpx.post(f"{base}/api/signals/{approved[0]['id']}/execute", timeout=10)
            assert r.status_code == 401  # the API's own token guards it
            filled = None
            for sig in reversed(approved):  # newest first: still executable
                r = httpx.post(
                    f"{base}/api/signals/{sig['id']}/execute", headers=auth, json={}, timeout=10
                )
                if r.status_code == 200:
                    filled = r.json()
                    break
                assert r.status_code == 409 and r.json()["detail"], r.text  # the engine's why
            assert filled is not None, "no approved signal could be executed"
            assert filled["mode"] == "paper" and filled["order"]["client_order_id"]
            cid = filled["order"]["client_order_id"]
            deadline = time.monotonic() + 10
            order_seen = False
            while time.monotonic() < deadline and not order_seen:
                try:
                    msg = json.loads(ws.recv(timeout=1))
                except TimeoutError:
                    continue
                order_seen = msg["type"] == "order" and msg["data"]["client_order_id"] == cid
            assert order_seen, "the engine's order reached the API's page"
        r = httpx.post(f"{base}/api/signals/no-such-signal/execute", headers=auth, timeout=10)
        assert r.status_code == 404 and "no signal" in r.json()["detail"]
        deadline = time.monotonic() + 10  # the engine's journal writes orders each second
        stored: set[str] = set()
        while cid not in stored and time.monotonic() < deadline:
            time.sleep(0.3)
            stored = {o["client_order_id"] for o in httpx.get(f"{base}/api/orders").json()}
        assert cid in stored, "the order is in the shared store, as the API reads it"

        # the engine gone: a click is answered, not queued
        assert engine.stop() == 0, engine.text()[-2000:]
        t0 = time.monotonic()
        r = httpx.post(f"{base}/api/signals/{approved[-1]['id']}/execute", headers=auth, timeout=15)
        assert r.status_code == 503 and "did not answer" in r.json()["detail"]
        assert time.monotonic() - t0 < 8
        # … and its silence is on the page, in red, within seconds
        deadline = time.monotonic() + 20
        lights: dict[str, str] = {}
        while lights.get("engine") != "red" and time.monotonic() < deadline:
            time.sleep(0.5)
            st = httpx.get(f"{base}/api/status", timeout=5).json()
            lights = {x["name"]: x["light"] for x in st["sources"]}
        assert lights.get("engine") == "red", lights
        assert api.stop() == 0, api.text()[-2000:]
    finally:
        for p in procs:
            p.reap()
        sim.terminate()
        sim.wait(10)
