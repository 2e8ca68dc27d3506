"""Redis for the scale-out tests: a redis-server of their own on a free loopback port."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.running import free_port, listening

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


def _redis_or_skip() -> None:
    if Path(REDIS).exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("redis-server is missing: .ci/run installs Debian's redis-server")
    pytest.skip("redis-server not installed (apt-get install redis-server); CI runs this test")


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    _redis_or_skip()
    port = free_port()
    proc = subprocess.Popen(
        [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    deadline = time.monotonic() + 10
    while not listening(port):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)
