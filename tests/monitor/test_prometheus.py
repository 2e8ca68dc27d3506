"""Debian's Prometheus scrapes a running engine + simulator, and its own HTTP API shows
the key series — not only that ``/metrics`` parses."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from dexcex.monitor.metrics import METRIC_NAMES
from tests.running import RunningEngine, free_port, listening
from tests.waiting import until_sync

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


def _prometheus_or_skip() -> None:
    if Path(PROMETHEUS).exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("prometheus is missing: .ci/run installs Debian's prometheus")
    pytest.skip("Prometheus is not installed — enable: sudo apt-get install prometheus")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEngine]:
    e = RunningEngine(tmp_path_factory.mktemp("prom-engine"), speed=4.0, env={})
    yield e
    e.stop()


@pytest.fixture(scope="module")
def prometheus(engine: RunningEngine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _prometheus_or_skip()
    tmp = tmp_path_factory.mktemp("prometheus")
    port = free_port()
    cfg = tmp / "prometheus.yml"
    cfg.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: dexcex\n"
        f"    static_configs:\n      - targets: ['127.0.0.1:{engine.port}']\n",
        encoding="utf-8",
    )
    log = open(tmp / "prometheus.log", "w", encoding="utf-8")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={cfg}",
            f"--storage.tsdb.path={tmp / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while not listening(port):
        assert proc.poll() is None and time.monotonic() < deadline, (
            tmp / "prometheus.log"
        ).read_text()[-2000:]
        time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(20)
    log.close()


def _query(base: str, q: str) -> list[dict[str, object]]:
    r = httpx.get(f"{base}/api/v1/query", params={"query": q}, timeout=5)
    r.raise_for_status()
    return r.json()["data"]["result"]  # type: ignore[no-any-return]


def test_the_metrics_page_names_every_documented_family(engine: RunningEngine) -> None:
    def exported() -> set[str]:
        text = httpx.get(f"{engine.url}metrics", timeout=5).text
        names = {f.name for f in text_string_to_metric_families(text)}
        assert all(n.startswith("dexcex_") for n in names), names
        # counters are named without _total by the parser
        return {n if n in METRIC_NAMES else f"{n}_total" for n in names}

    # families with labels appear once their first sample is taken
    with contextlib.suppress(AssertionError):
        until_sync(lambda: exported() >= METRIC_NAMES, 60)
    assert exported() >= METRIC_NAMES, METRIC_NAMES - exported()


def test_prometheus_scrapes_the_key_series(prometheus: str) -> None:
    wanted = {
        "dexcex_events_total": "dexcex_events_total > 0",
        "source up": 'dexcex_source_up{source="mexc"} == 1',
        "feed latency": "sum(dexcex_feed_latency_seconds_count) > 0",
        "rest latency": "sum(dexcex_rest_latency_seconds_count) > 0",
        "bus depth": "dexcex_bus_queue_depth >= 0",
        "signals": "dexcex_signals_total >= 0",
        "venue": 'dexcex_venue_active{venue="mexc"} == 1',
    }
    deadline = time.monotonic() + 60
    missing = set(wanted)
    while missing and time.monotonic() < deadline:
        for key in list(missing):
            if _query(prometheus, wanted[key]):
                missing.discard(key)
        time.sleep(1)
    assert not missing, missing
    targets = httpx.get(f"{prometheus}/api/v1/targets", timeout=5).json()["data"]
    assert [t["health"] for t in targets["activeTargets"]] == ["up"]
