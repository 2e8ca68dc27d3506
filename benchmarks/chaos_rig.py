"""What ``make chaos`` drives: a simulator that outlives every kill, ``dexcex run`` child
processes restarted on the same database, the page they serve, and the counts taken from
the database (and the simulated venues) afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from tests.services import free_port, listening

from dexcex.api.token import load_or_create_token
from dexcex.sim.scenario import Fault, load_scenario
from dexcex.sim.world import SimWorld, run_sim
from dexcex.store import Database

__all__ = ["ASSETS", "ChaosReport", "Child", "SimThread", "check", "wait"]

# Two assets, not six: a two-core machine shared with other work keeps up with them at 20x.
ASSETS = ("wif", "bonk")


def assets_config(path: Path) -> Path:
    """A user file watching only ``ASSETS`` (the packaged defaults' definitions)."""
    text = (resources.files("dexcex.config") / "default.toml").read_text("utf-8")
    blocks = text.split("[[assets]]")[1:]
    keep = [b for b in blocks if b.split("\n", 2)[1].split('"')[1] in ASSETS]
    path.write_text("".join("[[assets]]" + b for b in keep), encoding="utf-8")
    return path


@dataclass
class ChaosReport:
    kills: int = 0
    orders: int = 0
    signals: int = 0
    orphans: int = 0
    duplicates: int = 0
    rows_lost: int = 0


class SimThread:
    """The simulated market in a thread (and event loop) of its own: a killed engine
    finds the same venues, with the orders it placed, when it starts again."""

    def __init__(self, speed: float, workdir: Path) -> None:
        self.speed = speed
        self.desc = workdir / "sim.json"
        self.config = assets_config(workdir / "chaos.toml")
        self.world: SimWorld | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        sc = load_scenario("default").model_copy(update={"assets": list(ASSETS)})
        async with run_sim(sc, speed=self.speed) as world:
            self.world = world
            self.desc.write_text(json.dumps(world.describe()), encoding="utf-8")
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> SimThread:
        self._thread.start()
        if not self._ready.wait(60):
            raise RuntimeError("the simulator did not start")
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def _call(self, fn: Any) -> Any:
        assert self._loop is not None

        async def run() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(10)

    def arm(self, faults: list[Fault]) -> None:
        """Faults from now on (market time), as a scenario would schedule them."""

        def arm() -> None:
            w = self.world
            assert w is not None and w.clock is not None
            w.faults.arm(faults, w.clock.now_ms(), w.market.schedule)

        self._call(arm)

    def client_ids(self) -> set[str]:
        """The client order id of every order the venues hold."""
        w = self.world
        assert w is not None
        return self._call(
            lambda: {o.client_id for ex in w.exchanges.values() for o in ex.orders.values()}
        )


class Child:
    """One ``dexcex run`` process on the simulator and a database; its page on a free
    port, with a token written beforehand so the harness can click."""

    def __init__(
        self,
        sim: SimThread,
        data_dir: Path,
        db_url: str | None,
        *,
        quiet: bool = False,
        **env: str,
    ) -> None:
        self.port = free_port()
        data_dir.mkdir(parents=True, exist_ok=True)
        self.token, _ = load_or_create_token(data_dir)
        self.env = {
            **os.environ,
            "DEXCEX_CONFIG": str(sim.config),
            "DEXCEX_DATA_DIR": str(data_dir),
            "DEXCEX_API__PORT": str(self.port),
            # a stale bound is market time: at 20x a busy machine's second is 20 s of it
            "DEXCEX_PIPELINE__STALE_BOOK_S": "300",
            "DEXCEX_PIPELINE__STALE_TRADES_S": "600",
            "DEXCEX_PIPELINE__STALE_DEX_WS_S": "600",
            **env,
        }
        if db_url is not None:
            self.env["DEXCEX_STORE__URL"] = db_url
        cmd = [sys.executable, "-m", "dexcex.cli.main", "run", "--no-status"]
        cmd += ["--sim-connect", str(sim.desc)]
        # quiet: no log file, whose writes a full disk would refuse too
        self.log = open(os.devnull, "ab") if quiet else (data_dir / "runs.log").open("ab")  # noqa: SIM115
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log, env=self.env)

    def fsize_limit(self, soft: int) -> None:
        """The largest file the child may write (RLIMIT_FSIZE): 0 is a full disk."""
        _, hard = resource.prlimit(self.proc.pid, resource.RLIMIT_FSIZE)
        resource.prlimit(self.proc.pid, resource.RLIMIT_FSIZE, (soft, hard))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> bool:
        """SIGKILL; True if it was still running."""
        was = self.alive()
        if was:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.log.close()
        return was

    def stop(self, timeout_s: float = 60) -> int:
        """A graceful stop (SIGINT, as Ctrl-C): its return code."""
        if self.alive():
            self.proc.send_signal(signal.SIGINT)
        try:
            rc = self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.log.close()
        return rc

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10,
        )

    def page_up(self) -> bool:
        return listening(self.port)

    def status(self) -> dict[str, Any] | None:
        with contextlib.suppress(httpx.HTTPError), self.client() as c:
            r = c.get("/api/status")
            if r.status_code == 200:
                return dict(r.json())
        return None

    def metric(self, name: str) -> float:
        """The sum of a metric's samples on the engine's /metrics (0 when absent)."""
        total = 0.0
        with contextlib.suppress(httpx.HTTPError), self.client() as c:
            for line in c.get("/metrics").text.splitlines():
                if line.startswith((name + " ", name + "{")):
                    total += float(line.rsplit(" ", 1)[1])
        return total

    def sources_up(self) -> dict[str, bool]:
        """Every source and stream the engine watches (its /metrics): up or not."""
        up: dict[str, bool] = {}
        with contextlib.suppress(httpx.HTTPError), self.client() as c:
            for line in c.get("/metrics").text.splitlines():
                if line.startswith('dexcex_source_up{source="'):
                    name = line.split('"', 2)[1]
                    up[name] = float(line.rsplit(" ", 1)[1]) == 1.0
        return up

    def click_one(self) -> str | None:
        """Execute one new signal; the client order id of the order a 200 answered."""
        with contextlib.suppress(httpx.HTTPError), self.client() as c:
            page = c.get("/api/signals", params={"limit": 50, "status": "new"}).json()
            for s in page.get("items", []):
                r = c.post(f"/api/signals/{s['id']}/execute", json={"confirm": True})
                if r.status_code == 200 and r.json().get("order"):
                    return str(r.json()["order"]["client_order_id"])
        return None


_CHECKS = {
    "orders": "SELECT count(*) FROM orders",
    "signals": "SELECT count(*) FROM signals",
    "orphans": "SELECT count(*) FROM orders o WHERE o.signal_id IS NOT NULL AND NOT EXISTS "
    "(SELECT 1 FROM signals s WHERE s.id = o.signal_id)",
    "duplicates": "SELECT count(*) FROM (SELECT signal_id FROM orders WHERE leg = 'entry' "
    "GROUP BY signal_id HAVING count(*) > 1) d",
    "lost_fills": "SELECT count(*) FROM fills f WHERE NOT EXISTS "
    "(SELECT 1 FROM orders o WHERE o.client_order_id = f.client_order_id)",
    "lost_entries": "SELECT count(*) FROM signals s WHERE s.order_client_id IS NOT NULL AND "
    "NOT EXISTS (SELECT 1 FROM orders o WHERE o.client_order_id = s.order_client_id)",
}


def check(
    url: str, rep: ChaosReport, *, clicked: set[str], at_venue: set[str] | None
) -> dict[str, int]:
    """Add what one database holds to ``rep``; the counts of this database.

    Orphans are orders whose signal is not stored, plus (live) orders the venue holds that
    the database does not know. Rows lost are fills whose order is not stored, signals
    whose recorded order is not stored, and clicks answered 200 whose order is not stored.
    """
    db = Database.open(url)
    try:
        with db.engine.connect() as con:
            n = {k: int(con.execute(text(q)).scalar() or 0) for k, q in _CHECKS.items()}
            stored = {r[0] for r in con.execute(text("SELECT client_order_id FROM orders"))}
    finally:
        db.engine.dispose()
    n["lost_clicks"] = len(clicked - stored)
    ours = {c for c in (at_venue or set()) if c.startswith(("dxe", "dxx"))}
    n["venue_orphans"] = len(ours - stored)
    rep.orders += n["orders"]
    rep.signals += n["signals"]
    rep.orphans += n["orphans"] + n["venue_orphans"]
    rep.duplicates += n["duplicates"]
    rep.rows_lost += n["lost_fills"] + n["lost_entries"] + n["lost_clicks"]
    return n


def wait(cond: Any, limit_s: float, step_s: float = 0.05) -> bool:
    """Poll ``cond`` until it holds or ``limit_s`` passes: whether it held."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step_s)
    return bool(cond())
