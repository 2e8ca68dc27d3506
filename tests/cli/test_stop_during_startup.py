"""A SIGTERM at any moment of `dexcex run`'s start-up is a clean stop: exit 0, no
traceback, what had started is closed and the stop is said.

The moments are conditions the process shows, not delays: the stop latch installed
(SIGTERM caught, per /proc — the imports are still running then), then each start-up
phase as its log line appears."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

_PHASES = ("database", "simulator", "connectors", "streams", "page")


def _catches_sigterm(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    for line in status.splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)))
    return False


def _start(tmp_path: Path) -> subprocess.Popen[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DEXCEX_")},
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
        "DEXCEX_LOG__LEVEL": "INFO",
        "DEXCEX_API__PORT": "0",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "dexcex.cli.main", "run", "--no-status", "--speed", "4"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="reads /proc — enable: run on Linux"
)
@pytest.mark.parametrize("moment", ["imports", *_PHASES])
def test_sigterm_at_any_moment_of_start_up_stops_cleanly(tmp_path: Path, moment: str) -> None:
    proc = _start(tmp_path)
    assert proc.stderr is not None
    lines: list[str] = []
    seen = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if f'"phase": "{moment}"' in line and '"start-up"' in line:
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 90
    try:
        if moment == "imports":
            while not _catches_sigterm(proc.pid):
                assert proc.poll() is None and time.monotonic() < deadline, "".join(lines)
                time.sleep(0.005)
        else:
            assert seen.wait(90), "".join(lines)[-3000:]
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    reader.join(10)
    err = "".join(lines)
    assert code == 0, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    assert "stopped" in err.splitlines()[-1], err[-3000:]
    if moment == "imports":
        assert "stopped before start-up (SIGTERM)" in err, err[-3000:]
    if moment in ("connectors", "streams", "page"):
        # the pipeline was (being) started: its shutdown steps are in the log
        assert '"stopping: streams"' in err and '"stopping: connections"' in err, err[-3000:]
