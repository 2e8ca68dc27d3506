"""Shared fixtures: databases (SQLite always, PostgreSQL when configured), Redis (a
server of each test's own, on a free loopback port), settings."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from sqlalchemy import create_engine, text

from dexcex.store.engine import normalize_url
from tests.running import free_port, listening

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
def postgres_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        message = f"PostgreSQL tests need {PG_ENV} (.ci/run sets it up)"
        if _in_ci():
            pytest.fail(f"CI=true and {message}")
        pytest.skip(message)
    return url


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


REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


def _redis_or_skip() -> None:
    if Path(REDIS).exists():
        return
    if _in_ci():
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
