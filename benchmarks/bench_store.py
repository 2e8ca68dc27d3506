"""PostgreSQL at volume: the One Glance queries on 10 million signals in daily partitions.

Fills a fresh schema with ``BENCH_STORE_SIGNALS`` signals (default 10,000,000) spread over
30 days and 100 assets, written server-side (``INSERT … SELECT generate_series``) into the
partitions the store creates, then times the page's four queries through the store —
newest 200, newest 200 of one asset, newest 200 new ones, the next page — and checks
their plans read the partitions' indexes in order (no Seq Scan, no Sort). Targets, each
query: p99 under 5 ms in the database (EXPLAIN ANALYZE's execution time) and under 50 ms
through the store (what the page's REST call waits for). Needs PostgreSQL:
``DEXCEX_BENCH_POSTGRES_URL`` or ``DEXCEX_TEST_POSTGRES_URL``.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid

from sqlalchemy import create_engine, text

from benchmarks.targets import check
from dexcex.api.views import SIGNAL_OUT_COLUMNS
from dexcex.domain import SignalStatus
from dexcex.store import Database, normalize_url
from dexcex.store.partitions import DAY_MS
from dexcex.store.signal_store import SignalStore

N = int(os.environ.get("BENCH_STORE_SIGNALS", "10000000"))
DAYS = 30
ASSETS = 100
CHUNK = 1_000_000
START = 20_400 * DAY_MS  # 2025-11-09, a day boundary
TARGET_DB_P99_MS = 5.0  # the query itself, on the server
TARGET_P99_MS = 50.0  # the store's call: query, transfer and decoding 200 rows of 120 columns
RUNS = 200
COLS = SIGNAL_OUT_COLUMNS  # what the page's feed reads


def _fill(db: Database) -> float:
    step = DAYS * DAY_MS // N
    db.partitions.ensure("signals", range(START, START + DAYS * DAY_MS, DAY_MS))
    started = time.perf_counter()
    for lo in range(0, N, CHUNK):
        hi = min(N, lo + CHUNK)
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    f"""
                    INSERT INTO signals (id, created_ms, updated_ms, asset_id, venue, symbol,
                        origin, direction, confidence, priority, expected_move_bps, status,
                        executable, trigger_event_ms, trigger_recv_ms, dex_price_usd,
                        imbalance, cex_mid, risk_decision, features)
                    SELECT 'sig_' || ({START} + g * {step}) || '_' || g,
                        {START} + g * {step}, {START} + g * {step},
                        'a' || lpad((g % {ASSETS})::text, 2, '0'), 'mexc', 'X/USDT',
                        CASE WHEN g % 3 = 0 THEN 'cex' ELSE 'dex' END,
                        CASE WHEN g % 2 = 0 THEN 'long' ELSE 'short' END,
                        0.5 + (g % 50) / 100.0, 3.0, 40.0,
                        CASE WHEN g % 50 = 0 THEN 'new' ELSE 'expired' END,
                        true, {START} + g * {step} - 300, {START} + g * {step} - 250,
                        2.5, 0.6, 2.5, 'approved', '{{"f": 1.0}}'
                    FROM generate_series({lo}::bigint, {hi - 1}::bigint) AS g
                    """
                )
            )
        done = hi / N
        rate = hi / (time.perf_counter() - started)
        print(f"  filled {hi:,} of {N:,} ({done:.0%}, {rate:,.0f} rows/s)", flush=True)
    took = time.perf_counter() - started
    # what autovacuum would do in the next minutes, done now so it does not run during
    # the timings (and sets the visibility map that index-only scans rely on)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE signals"))
    return took


def _time(fn: object) -> list[float]:
    assert callable(fn)
    out = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _sql(db: Database, stmt: object) -> str:
    return str(stmt.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))  # type: ignore[attr-defined]


def _plan(db: Database, stmt: object) -> str:
    with db.engine.connect() as conn:
        return "\n".join(r[0] for r in conn.execute(text("EXPLAIN " + _sql(db, stmt))))


def _db_ms(db: Database, stmt: object) -> list[float]:
    """The server's own execution time (EXPLAIN ANALYZE), without the client's decoding."""
    out = []
    with db.engine.connect() as conn:
        for _ in range(RUNS // 4):
            doc = conn.execute(text("EXPLAIN (ANALYZE, FORMAT JSON) " + _sql(db, stmt))).scalar()
            out.append(float(doc[0]["Execution Time"]))
    return out


def run() -> None:
    pg = os.environ.get("DEXCEX_BENCH_POSTGRES_URL") or os.environ.get("DEXCEX_TEST_POSTGRES_URL")
    if not pg:
        print("skipped: needs PostgreSQL (DEXCEX_BENCH_POSTGRES_URL)", flush=True)
        return
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalize_url(pg))
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = normalize_url(pg).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        db = Database.open(url.render_as_string(hide_password=False), migrate=True)
        try:
            took = _fill(db)
            print(
                f"{N:,} signals over {DAYS} daily partitions, {ASSETS} assets: written in "
                f"{took:.0f} s ({N / took:,.0f} rows/s, server-side)",
                flush=True,
            )
            first = db.signals.latest(200)
            cursor = (first[-1]["created_ms"], first[-1]["id"])
            cases = {
                "newest 200": (
                    lambda: db.signals.latest(200, columns=COLS),
                    SignalStore.latest_query(200),
                ),
                "newest 200 of one asset": (
                    lambda: db.signals.latest(200, asset_id="a07", columns=COLS),
                    SignalStore.latest_query(200, asset_id="a07"),
                ),
                "newest 200 new ones": (
                    lambda: db.signals.latest(200, status=SignalStatus.NEW, columns=COLS),
                    SignalStore.latest_query(200, status=SignalStatus.NEW),
                ),
                "next page": (
                    lambda: db.signals.latest(200, before=cursor, columns=COLS),
                    SignalStore.latest_query(200, before=cursor),
                ),
            }
            for name, (fn, stmt) in cases.items():
                plan = _plan(db, stmt)
                ordered = "Seq Scan" not in plan and "Sort" not in plan and "Index" in plan
                q = statistics.quantiles(_time(fn), n=100)
                d = statistics.quantiles(_db_ms(db, stmt), n=100)
                print(
                    f"{name}: in the database p50 {d[49]:.2f} ms, p99 {d[98]:.2f} ms "
                    f"(target p99 < {TARGET_DB_P99_MS:.0f} ms; ratio "
                    f"{d[98] / TARGET_DB_P99_MS:.2f}; "
                    f"{check(f'10M signals, {name}, database', d[98] < TARGET_DB_P99_MS)}); "
                    f"through the store, 200 rows of the feed's columns: p50 {q[49]:.1f} ms, "
                    f"p99 {q[98]:.1f} ms (target p99 < {TARGET_P99_MS:.0f} ms; ratio "
                    f"{q[98] / TARGET_P99_MS:.2f}; "
                    f"{check(f'10M signals, {name}, store', q[98] < TARGET_P99_MS)}); plan: "
                    f"{'ordered index scans of the newest partitions' if ordered else plan} "
                    f"({check(f'10M signals, {name}: index plan', ordered)})",
                    flush=True,
                )
        finally:
            db.close()
    finally:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
