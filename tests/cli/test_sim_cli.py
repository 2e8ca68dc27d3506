from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from dexcex.sim.groundtruth import read_log

KEYS = {
    "mexc_rest",
    "mexc_ws",
    "bybit_rest",
    "bybit_ws",
    "birdeye_rest",
    "birdeye_ws",
    "dexscreener_rest",
}


def test_sim_prints_every_endpoint_serves_and_stops_cleanly() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "dexcex.cli.main", "sim", "--speed", "5", "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        urls = json.loads(line)
        assert set(urls) >= KEYS
        assert urls["mexc_ws"].endswith("/ws") and urls["bybit_ws"].endswith("/v5/public/spot")
        assert urls["birdeye_ws"].endswith("/socket")
        for key in KEYS:
            assert urls[key].startswith(("http://127.0.0.1:", "ws://127.0.0.1:"))
        assert urls["seed"] == 3 and urls["speed"] == 5.0
        r = httpx.get(urls["mexc_rest"] + "/api/v3/ping", timeout=5)
        assert r.status_code == 200 and r.json() == {}
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=20)
    assert code == 0


def test_a_scenario_file_is_served_as_written(tmp_path: Path) -> None:
    # its own name, seed and assets, not a packaged scenario looked up by name
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\ndescription = "x"\nseed = 11\nassets = ["wif"]\n')
    proc = subprocess.Popen(
        [sys.executable, "-m", "dexcex.cli.main", "sim", "--scenario", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        desc = json.loads(proc.stdout.readline())
        assert desc["scenario"] == "mine" and desc["seed"] == 11
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=20)
    assert code == 0


def test_virtual_run_writes_the_ground_truth(tmp_path: Path) -> None:
    log = tmp_path / "gt.jsonl.zst"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dexcex.cli.main",
            "sim",
            "--virtual-hours",
            "0.05",
            "--log",
            str(log),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "events/s" in proc.stdout
    records = list(read_log(log))
    assert records and records[-1][3].t <= records[0][3].t + 3 * 60_000 + 1


def test_unknown_scenario_is_a_clear_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "dexcex.cli.main", "sim", "--scenario", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    listed = proc.stderr.split("available: ", 1)[-1].strip().split(", ")
    assert "scenario 'nope' not found; available: " in proc.stderr
    assert {"default", "calm", "faulty", "realistic", "demo"} <= set(listed), proc.stderr
    assert listed == sorted(listed)
    assert "Traceback" not in proc.stderr
