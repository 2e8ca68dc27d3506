"""Scale-out figures, in one run, as ratios:

* the market bus: in-process (``MarketBus``) against Redis Streams (a collector's
  ``RedisPublisher`` → ``XADD`` → the engine's consumer group → decode), events/s and
  publish → consume latency p99, on the first 200,000 events of the reference stream;
* signal inserts: one transaction per signal against batches of 500
  (``add_decided_new``), on PostgreSQL when ``DEXCEX_BENCH_POSTGRES_URL`` (or the test
  URL) is set, else on SQLite.

Needs ``redis-server`` on the PATH (started here on a free port).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import msgspec
import redis.asyncio as aioredis
from sqlalchemy import create_engine, text
from tests.factories import make_signal

from benchmarks.bench_core import build_events
from dexcex.domain import MarketEvent, Regime, RiskDecision
from dexcex.pipeline.bus import MarketBus
from dexcex.pipeline.redisbus import FIELD, RedisPublisher
from dexcex.store import Database
from dexcex.store.engine import normalize_url

N = int(os.environ.get("BENCH_BUS_EVENTS", "200000"))
SIGNALS = int(os.environ.get("BENCH_INSERT_SIGNALS", "5000"))


def _p99(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=100)[98]


def in_process(events: list[MarketEvent]) -> tuple[float, float]:
    bus = MarketBus(len(events) + 1)
    lat: list[float] = []
    t0 = time.perf_counter()
    for i in range(0, len(events), 1000):
        sent = time.perf_counter()
        for ev in events[i : i + 1000]:
            bus.publish(ev)
        got = bus.drain(1000)
        lat.append((time.perf_counter() - sent) * 1000)
        assert len(got) == len(events[i : i + 1000])
    took = time.perf_counter() - t0
    return len(events) / took, _p99(lat)


async def through_redis(
    url: str, events: list[MarketEvent], rate: float | None = None
) -> tuple[float, float]:
    """Events/s when publishing as fast as possible (``rate`` None), and p99 latency —
    at saturation that is queueing; at a paced ``rate`` (events/s) it is the path."""
    stream = f"bench:{uuid.uuid4().hex[:8]}"
    pub = RedisPublisher(url, stream, maxlen=len(events) * 2)
    await pub.start()
    r = aioredis.Redis.from_url(url)
    await r.xgroup_create(stream, "g", id="0", mkstream=True)
    decode = msgspec.json.Decoder(MarketEvent).decode
    sent_at: dict[int, float] = {}
    lat: list[float] = []
    got = 0

    async def consume() -> None:
        nonlocal got
        while got < len(events):
            res = await r.xreadgroup("g", "c", {stream: ">"}, count=2000, block=100)
            for _s, entries in res or []:
                now = time.perf_counter()
                ids = []
                for entry_id, fields in entries:
                    decode(fields[FIELD])
                    if got % 1000 == 0 and got in sent_at:
                        lat.append((now - sent_at[got]) * 1000)
                    got += 1
                    ids.append(entry_id)
                await r.xack(stream, "g", *ids)

    t0 = time.perf_counter()
    task = asyncio.create_task(consume())
    for i, ev in enumerate(events):
        if i % 1000 == 0:
            sent_at[i] = time.perf_counter()
        pub.publish(ev)
        if rate is not None and i % 50 == 49:
            await asyncio.sleep(max(0.0, t0 + (i + 1) / rate - time.perf_counter()))
        elif i % 2000 == 1999:
            await asyncio.sleep(0)  # let the publisher's task send
    await task
    took = time.perf_counter() - t0
    await pub.stop()
    await r.delete(stream)
    await r.aclose()
    return len(events) / took, _p99(lat)


def inserts(url: str) -> tuple[float, float, str]:
    db = Database.open(url, migrate=True)
    try:
        decided = []
        for i in range(SIGNALS * 2):
            s = make_signal(i, ts=1_700_000_000_000 + i)
            d = RiskDecision(s.id, s.ts, True, 1.0, 2.5, 2.5, 2.5, 3.0, Regime.NORMAL, ("ok",))
            decided.append((s, d))
        t0 = time.perf_counter()
        for pair in decided[:SIGNALS]:
            db.signals.add_decided_new([pair])
        one = SIGNALS / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        for i in range(SIGNALS, 2 * SIGNALS, 500):
            db.signals.add_decided_new(decided[i : i + 500])
        batched = SIGNALS / (time.perf_counter() - t0)
        assert db.signals.count() == 2 * SIGNALS
    finally:
        db.close()
    return one, batched, normalize_url(url).get_backend_name()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run() -> None:
    _, events = build_events(N)
    events = events[:N]
    rate_mem, p99_mem = in_process(events)
    exe = shutil.which("redis-server")
    if exe is None:
        print("redis-server not installed: Redis bus figures skipped", flush=True)
    else:
        port = _free_port()
        proc = subprocess.Popen(
            [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        try:
            time.sleep(0.5)
            url = f"redis://127.0.0.1:{port}/0"
            rate_r, p99_sat = asyncio.run(through_redis(url, events))
            _, p99_r = asyncio.run(through_redis(url, events[:50_000], rate=5_000))
        finally:
            proc.terminate()
            proc.wait(10)
        print(
            f"bus, {len(events):,} events: in-process {rate_mem:,.0f} events/s (p99 of a 1,000-"
            f"event publish+drain {p99_mem:.2f} ms); Redis Streams {rate_r:,.0f} events/s "
            f"(p99 {p99_sat:,.0f} ms of queueing at saturation), publish → consumed p99 "
            f"{p99_r:.1f} ms at 5,000 events/s; in-process / Redis = {rate_mem / rate_r:.0f}x",
            flush=True,
        )
    pg = os.environ.get("DEXCEX_BENCH_POSTGRES_URL") or os.environ.get("DEXCEX_TEST_POSTGRES_URL")
    with tempfile.TemporaryDirectory() as tmp:
        url = pg or f"sqlite:///{Path(tmp) / 'ins.sqlite3'}"
        schema = None
        if pg:
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(normalize_url(pg))
            with admin.begin() as c:
                c.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = normalize_url(pg).update_query_dict({"options": f"-csearch_path={schema}"})
            url = url.render_as_string(hide_password=False)
        try:
            one, batched, backend = inserts(url)
        finally:
            if schema is not None:
                with admin.begin() as c:
                    c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
    print(
        f"signal inserts on {backend}, {SIGNALS:,} each: one per transaction {one:,.0f}/s, "
        f"batches of 500 {batched:,.0f}/s — batched / one-by-one = {batched / one:.1f}x",
        flush=True,
    )
