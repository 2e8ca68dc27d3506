"""Shared fixtures: databases (SQLite always, PostgreSQL when configured), settings."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from sqlalchemy import create_engine, text

from dexcex.store.engine import normalize_url

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
