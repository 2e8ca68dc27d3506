"""``dexcex db backup`` / ``restore``: SQLite through its online backup API (a consistent
copy while the engine writes), PostgreSQL through ``pg_dump`` / ``pg_restore`` (custom
format). Passwords go to the tools through ``PGPASSWORD``, never on a command line."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import func, inspect, select, table
from sqlalchemy.engine import URL

from dexcex.domain import ConfigError
from dexcex.store.engine import make_engine, normalize_url
from dexcex.store.partitions import is_partition

__all__ = ["backup", "restore", "row_counts"]


def row_counts(url: str) -> dict[str, int]:
    """Rows per table (what a backup must keep); a partitioned table's rows count once,
    under its own name."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            names = sorted(n for n in inspect(conn).get_table_names() if not is_partition(n))
            return {
                n: int(conn.execute(select(func.count()).select_from(table(n))).scalar_one())
                for n in names
            }
    finally:
        engine.dispose()


def backup(url: str, path: Path) -> Path:
    u = normalize_url(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    if u.get_backend_name() == "sqlite":
        src = _sqlite_file(u)
        with sqlite3.connect(src) as a, sqlite3.connect(path) as b:
            a.backup(b)
        return path
    _pg("pg_dump", u, ["--format=custom", "--no-owner", f"--file={path}"])
    return path


def restore(url: str, path: Path) -> None:
    if not path.is_file():
        raise ConfigError(f"no backup at {path}")
    u = normalize_url(url)
    if u.get_backend_name() == "sqlite":
        dst = _sqlite_file(u)
        dst.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(path) as a, sqlite3.connect(dst) as b:
            a.backup(b)
        return
    _pg("pg_restore", u, ["--clean", "--if-exists", "--no-owner", str(path)])


def _sqlite_file(u: URL) -> Path:
    if not u.database or u.database == ":memory:":
        raise ConfigError("an in-memory SQLite database cannot be backed up")
    return Path(u.database)


def _pg(tool: str, u: URL, args: list[str]) -> None:
    exe = shutil.which(tool)
    if exe is None:
        raise ConfigError(f"{tool} not found: install the PostgreSQL client (postgresql-client)")
    env = {**os.environ}
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    conn = u.set(drivername="postgresql", password=None, query={})
    cmd = [exe, f"--dbname={conn.render_as_string(hide_password=False)}"]
    schema = _search_path_schema(u)
    if schema is not None:
        cmd.append(f"--schema={schema}")
    # a list, no shell: the URL and path are arguments, not code
    proc = subprocess.run(cmd + args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if proc.returncode != 0:
        raise ConfigError(f"{tool} failed: {proc.stderr.strip()[-500:]}")


def _search_path_schema(u: URL) -> str | None:
    """The schema named by ``options=-csearch_path=…`` (one schema per test run, say)."""
    opts = u.query.get("options")
    if opts is None:
        return None
    text_opts = opts if isinstance(opts, str) else " ".join(opts)
    for part in text_opts.split():
        if part.startswith("-csearch_path="):
            return part.split("=", 1)[1].split(",")[0]
    return None
