"""A `dexcex run` in a subprocess, as a user starts it (simulator included), for tests
that need the whole thing from outside: the browser, Prometheus, webhooks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.services import free_port, listening

__all__ = ["Proc", "RunningEngine", "free_port", "listening", "start_sim"]


class RunningEngine:
    def __init__(
        self, tmp: Path, *, scenario: str | None = None, speed: float = 4.0, env: dict[str, str]
    ) -> None:
        self.port = free_port()
        self.data = tmp / "data"
        args = ["run", "--no-status", "--speed", str(speed)]
        if scenario is not None:
            path = tmp / "scenario.toml"
            path.write_text(scenario, encoding="utf-8")
            args += ["--scenario", str(path)]
        full_env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("DEXCEX_")},
            "DEXCEX_DATA_DIR": str(self.data),
            "DEXCEX_API__PORT": str(self.port),
            "DEXCEX_LOG__LEVEL": "WARNING",
            **env,
        }
        self.log_path = tmp / "engine.log"
        self.log = open(self.log_path, "w", encoding="utf-8")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dexcex.cli.main", *args],
            env=full_env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while not (self.data / "api-token").exists() or not listening(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(self.log_path.read_text()[-3000:])
            time.sleep(0.2)
        self.token = (self.data / "api-token").read_text().strip()
        self.url = f"http://127.0.0.1:{self.port}/"

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self.log.close()


class Proc:
    def __init__(self, name: str, args: list[str], tmp: Path, env: dict[str, str]) -> None:
        self.name, self.args, self.tmp, self.env = name, args, tmp, env
        self.lives = 0
        self.start()

    def start(self) -> None:
        self.lives += 1
        self.log = open(self.tmp / f"{self.name}.{self.lives}.log", "w", encoding="utf-8")  # noqa: SIM115
        self.p = subprocess.Popen(
            [sys.executable, "-m", "dexcex.cli.main", *self.args],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        self.p.send_signal(signal.SIGKILL)
        self.p.wait(10)
        self.log.close()

    def stop(self) -> int:
        self.p.send_signal(signal.SIGTERM)
        try:
            return self.p.wait(30)
        except subprocess.TimeoutExpired:
            self.p.send_signal(signal.SIGUSR1)  # its threads' stacks, into its log
            time.sleep(2)
            self.p.kill()
            self.p.wait(10)
            self.log.close()
            raise AssertionError(
                f"{self.name} did not stop within 30 s of SIGTERM:\n{self.text()[-6000:]}"
            ) from None
        finally:
            self.log.close()

    def reap(self) -> None:
        """Kill it if it still runs: a failed test leaves no process behind."""
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(10)
        self.log.close()

    def text(self) -> str:
        return "".join(
            (self.tmp / f"{self.name}.{i}.log").read_text() for i in range(1, self.lives + 1)
        )


def start_sim(*args: str) -> tuple[subprocess.Popen[str], dict[str, Any], str]:
    """`dexcex sim ARGS` in its own process: (process, its description, the JSON line as
    printed — what `--sim-connect` reads)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "dexcex.cli.main", "sim", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "DEXCEX_LOG__LEVEL": "ERROR"},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.wait(10)
        raise RuntimeError(f"the simulator did not start (exit {proc.returncode})")
    return proc, json.loads(line), line
