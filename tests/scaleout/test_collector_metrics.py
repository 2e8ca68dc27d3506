"""A collector serves its own /metrics and /healthz (Prometheus scrapes every process),
and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import httpx

from tests.running import Proc, free_port, start_sim


def test_a_collector_serves_its_own_metrics(tmp_path: Path, redis_url: str) -> None:
    sim, _desc, line = start_sim("--speed", "4")
    (tmp_path / "sim.json").write_text(line, encoding="utf-8")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEXCEX_")}
    args = ["run", "--no-status", "--sim-connect", str(tmp_path / "sim.json")]
    args += ["--redis", redis_url, "--role", "collector", "--shard", "1/2"]
    collector = Proc(
        "collector",
        [*args, "--metrics-port", str(port)],
        tmp_path,
        {**env, "DEXCEX_DATA_DIR": str(tmp_path / "c")},
    )
    try:
        messages = 0.0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert collector.p.poll() is None, collector.text()[-3000:]
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            except httpx.TransportError:
                time.sleep(0.5)
                continue
            found = re.findall(r'^dexcex_source_messages_total\{source="mexc"\} (\S+)$', text, re.M)
            messages = float(found[0]) if found else 0.0
            if messages > 0:
                break
            time.sleep(0.5)
        assert messages > 0, "the collector's /metrics never counted a MEXC message"
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()
        assert health["role"] == "collector" and health["shard"] == "1/2"
        assert {"mexc", "birdeye"} <= {s["name"] for s in health["sources"]}
        assert collector.stop() == 0, collector.text()[-2000:]
    finally:
        collector.reap()
        sim.send_signal(signal.SIGTERM)
        sim.wait(20)
