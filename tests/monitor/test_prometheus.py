"""Debian's Prometheus scrapes a running engine + simulator, and its own HTTP API shows
the key series — not only that ``/metrics`` parses.

Where Debian's Prometheus is not installed (a machine with only Python: no wheel ships
the server), the key series are checked on the exposition it would scrape, with the
same conditions; CI installs the server and fails without it."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from dexcex.monitor.metrics import METRIC_NAMES
from tests.running import RunningEngine, free_port, listening
from tests.waiting import until_sync

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


def _have_prometheus() -> bool:
    if Path(PROMETHEUS).exists():
        return True
    if os.environ.get("CI") == "true":
        pytest.fail("prometheus is missing: .ci/run installs Debian's prometheus")
    return False


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEngine]:
    e = RunningEngine(tmp_path_factory.mktemp("prom-engine"), speed=4.0, env={})
    yield e
    e.stop()


@pytest.fixture(scope="module")
def prometheus(
    engine: RunningEngine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str | None]:
    if not _have_prometheus():
        yield None  # the exposition is read directly (see the module's note)
        return
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


# each key series: the PromQL Prometheus is asked, and the same condition on the samples
_WANTED: dict[
    str, tuple[str, Callable[[dict[tuple[str, frozenset[tuple[str, str]]], float]], bool]]
] = {
    "events": ("dexcex_events_total > 0", lambda m: _v(m, "dexcex_events_total") > 0),
    "source up": (
        'dexcex_source_up{source="mexc"} == 1',
        lambda m: _v(m, "dexcex_source_up", source="mexc") == 1,
    ),
    "feed latency": (
        "sum(dexcex_feed_latency_seconds_count) > 0",
        lambda m: _sum(m, "dexcex_feed_latency_seconds_count") > 0,
    ),
    "rest latency": (
        "sum(dexcex_rest_latency_seconds_count) > 0",
        lambda m: _sum(m, "dexcex_rest_latency_seconds_count") > 0,
    ),
    "bus depth": ("dexcex_bus_queue_depth >= 0", lambda m: _v(m, "dexcex_bus_queue_depth") >= 0),
    "signals": ("dexcex_signals_total >= 0", lambda m: _v(m, "dexcex_signals_total") >= 0),
    "venue": (
        'dexcex_venue_active{venue="mexc"} == 1',
        lambda m: _v(m, "dexcex_venue_active", venue="mexc") == 1,
    ),
}

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _v(m: Samples, name: str, **labels: str) -> float:
    hits = [v for (n, ls), v in m.items() if n == name and set(labels.items()) <= ls]
    return sum(hits) if hits else float("nan")


def _sum(m: Samples, name: str) -> float:
    return sum(v for (n, _), v in m.items() if n == name)


def _scrape(engine: RunningEngine) -> Samples:
    text = httpx.get(f"{engine.url}metrics", timeout=5).text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }


def test_prometheus_scrapes_the_key_series(engine: RunningEngine, prometheus: str | None) -> None:
    deadline = time.monotonic() + 60
    missing = set(_WANTED)
    while missing and time.monotonic() < deadline:
        samples = _scrape(engine) if prometheus is None else {}
        for key in list(missing):
            query, holds = _WANTED[key]
            if holds(samples) if prometheus is None else _query(prometheus, query):
                missing.discard(key)
        time.sleep(1)
    assert not missing, missing
    if prometheus is not None:
        targets = httpx.get(f"{prometheus}/api/v1/targets", timeout=5).json()["data"]
        assert [t["health"] for t in targets["activeTargets"]] == ["up"]
