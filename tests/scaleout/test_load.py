"""`make load`: the 100-assets simulator through 2 collectors + 1 engine (separate
processes, Debian's Redis) for LOAD_MINUTES (10) of wall time at LOAD_SPEED (3×).

Reports end-to-end latency (source stamp → engine, through Redis; p50/p99 from the
engine's histogram), events/s, and CPU and memory per process; asserts that no queue
grows without bound (the stream's lag and pending entries, the engine's bus) and that the
engine's memory levels off. Outside the default suite (marker ``load``)."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import httpx
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from dexcex.sim.scenario import load_scenario
from tests.running import Proc, free_port, start_sim
from tests.scaleout.streams import lag
from tests.scaleout.test_redis_roles import STREAM
from tests.waiting import until_sync

MINUTES = float(os.environ.get("LOAD_MINUTES", "10"))
SPEED = float(os.environ.get("LOAD_SPEED", "3"))
_TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def metrics(port: int) -> dict[str, list[tuple[dict[str, str], float]]]:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out.setdefault(s.name, []).append((s.labels, s.value))
    return out


def quantile(m: dict[str, list[tuple[dict[str, str], float]]], name: str, q: float) -> float:
    buckets = sorted(
        (float(lb["le"]), v) for lb, v in m.get(f"{name}_bucket", []) if lb["le"] != "+Inf"
    )
    total = next((v for lb, v in m.get(f"{name}_bucket", []) if lb["le"] == "+Inf"), 0.0)
    for le, v in buckets:
        if total and v >= q * total:
            return le
    return float("inf")


@pytest.mark.load
def test_100_assets_two_collectors_one_engine(tmp_path: Path, redis_url: str) -> None:
    sc = load_scenario("100-assets")
    assets = json.dumps([a.model_dump(mode="json") for a in sc.asset_configs()])
    sim, _, line = start_sim("--scenario", "100-assets", "--speed", str(SPEED))
    (tmp_path / "sim.json").write_text(line, encoding="utf-8")
    base = {k: v for k, v in os.environ.items() if not k.startswith("DEXCEX_")}
    base |= {"DEXCEX_ASSETS": assets, "DEXCEX_LOG__LEVEL": "WARNING"}
    common = [
        "run",
        "--no-status",
        "--sim-connect",
        str(tmp_path / "sim.json"),
        "--redis",
        redis_url,
    ]
    port = free_port()
    r = redis.Redis.from_url(redis_url)
    procs: dict[str, Proc] = {}
    samples: list[dict[str, float]] = []
    try:
        for k in range(2):
            procs[f"collector{k}"] = Proc(
                f"collector{k}",
                [*common, "--role", "collector", "--shard", f"{k}/2"],
                tmp_path,
                {**base, "DEXCEX_DATA_DIR": str(tmp_path / f"c{k}")},
            )
        procs["engine"] = Proc(
            "engine",
            [*common, "--role", "engine"],
            tmp_path,
            {**base, "DEXCEX_DATA_DIR": str(tmp_path / "engine"), "DEXCEX_API__PORT": str(port)},
        )
        pids = {name: p.p.pid for name, p in procs.items()} | {"simulator": sim.pid}

        def streaming() -> bool:  # start-up done: connections, snapshots, events flowing
            try:
                return metrics(port)["dexcex_events_total"][0][1] > 10_000
            except (httpx.HTTPError, KeyError, IndexError):
                return False

        until_sync(streaming, 180, "the engine consumes the collectors' events")
        cpu0 = {n: cpu_s(pid) for n, pid in pids.items()}
        t0 = time.monotonic()
        ev0 = metrics(port)["dexcex_events_total"][0][1]
        end = t0 + MINUTES * 60
        while time.monotonic() < end:
            time.sleep(10)
            for name, p in procs.items():
                assert p.p.poll() is None, (name, p.text()[-2000:])
            group = r.xinfo_groups(STREAM)[0]
            m = metrics(port)
            samples.append(
                {
                    "t": time.monotonic() - t0,
                    "lag": float(lag(r, STREAM)),
                    "pending": float(group["pending"]),
                    "bus": m["dexcex_bus_queue_depth"][0][1],
                    "engine_mb": rss_mb(pids["engine"]),
                }
            )
            print(
                f"{samples[-1]['t']:6.0f} s  lag {samples[-1]['lag']:8,.0f}  pending "
                f"{samples[-1]['pending']:6,.0f}  bus {samples[-1]['bus']:6,.0f}  engine "
                f"{samples[-1]['engine_mb']:6.1f} MB",
                flush=True,
            )
        took = time.monotonic() - t0
        m = metrics(port)
        events = m["dexcex_events_total"][0][1] - ev0
        cpu = {n: (cpu_s(pid) - cpu0[n]) / took for n, pid in pids.items()}
        mem = {n: rss_mb(pid) for n, pid in pids.items()}
    finally:
        for name in ("collector0", "collector1", "engine"):
            if name in procs and procs[name].p.poll() is None:
                procs[name].stop()
            if name in procs:
                procs[name].reap()
        sim.send_signal(signal.SIGTERM)
        sim.wait(30)
    p50 = quantile(m, "dexcex_bus_latency_seconds", 0.5)
    p99 = quantile(m, "dexcex_bus_latency_seconds", 0.99)
    print(f"\n100 assets, 2 collectors + 1 engine, {took / 60:.1f} min at {SPEED:g}x:")
    print(
        f"  engine: {events / took:,.0f} events/s (wall); source → engine latency "
        f"p50 ≤ {p50 * 1000 / SPEED:.0f} ms, p99 ≤ {p99 * 1000 / SPEED:.0f} ms of wall time "
        f"(histogram bucket bounds; {p99 * 1000:.0f} ms of market time at {SPEED:g}x)"
    )
    for n in pids:
        print(f"  {n:11s} CPU {cpu[n]:5.0%}  RSS {mem[n]:7.1f} MB")
    third = max(1, len(samples) // 3)
    early, late = samples[:third], samples[-third:]
    for key in ("lag", "pending", "bus"):
        bound = max(s[key] for s in early) * 2 + 5_000
        assert max(s[key] for s in late) <= bound, (key, [s[key] for s in samples])
    assert late[-1]["engine_mb"] <= max(s["engine_mb"] for s in early) * 1.25, samples
    assert events > 0
