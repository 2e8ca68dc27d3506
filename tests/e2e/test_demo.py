"""`dexcex demo` keeps the README's promise: with no API key and a fresh data directory,
the page is up and a live signal reaches it within a minute."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from websockets.sync.client import connect


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_demo_shows_a_live_signal_within_a_minute(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DEXCEX_")},
        "DEXCEX_DATA_DIR": str(tmp_path / "data"),
        "DEXCEX_API__PORT": str(port),
    }
    log = open(tmp_path / "demo.log", "w", encoding="utf-8")  # noqa: SIM115
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dexcex.cli.main", "demo"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        first_signal = None
        while time.monotonic() - started < 60 and first_signal is None:
            try:
                ws = connect(f"ws://127.0.0.1:{port}/ws", open_timeout=2)
            except OSError:
                assert proc.poll() is None, (tmp_path / "demo.log").read_text()[-3000:]
                time.sleep(0.3)
                continue
            with ws:
                snap = json.loads(ws.recv(timeout=10))
                assert snap["type"] == "snapshot" and snap["data"]["status"]["mode"] == "paper"
                while time.monotonic() - started < 60:
                    try:
                        msg = json.loads(ws.recv(timeout=1))
                    except TimeoutError:
                        continue
                    if msg["type"] == "signal":
                        first_signal = time.monotonic() - started
                        break
        assert first_signal is not None, "no signal within a minute"
        print(f"demo: first live signal on the page {first_signal:.1f} s after start")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        finally:
            if proc.poll() is None:
                proc.kill()
            log.close()
    assert "One Glance: http://127.0.0.1:" in (tmp_path / "demo.log").read_text()
