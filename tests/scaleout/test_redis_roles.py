"""Collectors and an engine as separate processes, through Debian's Redis: kill the
engine mid-stream and restart it, kill a collector and restart it — no accepted event is
lost (every entry the collectors put on the stream is delivered to the engine and
acknowledged only after it is processed and its signals stored), the stream holds every
swap and trade the simulator sent outside the killed collector's own outage, nothing
twice, and no signal is stored twice."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
import redis

from dexcex.config import load_settings
from dexcex.domain import CexTrade, ConfigError, DexSwap, MarketEvent
from dexcex.pipeline.runner import shard_of
from dexcex.sim.groundtruth import read_log
from dexcex.sim.market.events import CexTradeEv, DexSwapEv
from dexcex.store import Database
from tests.running import Proc, free_port, start_sim
from tests.scaleout.streams import caught_up, delivered, group_info

STREAM = "dexcex:events"
SPEED = 4.0


def _feed(ev: MarketEvent) -> tuple[str, ...] | None:
    """The feed an event came in on: a venue's trade stream of one market, or a pool."""
    if isinstance(ev, DexSwap):
        return ("pool", ev.pool.lower())
    if isinstance(ev, CexTrade):
        return ("trades", ev.venue.value, ev.symbol.replace("/", ""))
    return None


def _outages(
    entries: list[tuple[int, MarketEvent]], killed_ms: float
) -> dict[tuple[str, ...], tuple[int, int]]:
    """Per feed of the killed shard: (the last event it published before the kill, the
    first after), in market time, from the stream's own entry ids (redis stamps each entry
    with its wall-clock millisecond). What the simulator sent between the two fell in the
    collector's outage — however far a loaded machine let the market run ahead of it. Both
    ends are in it: a swap's time is its block's second, so a block's other swaps can come
    just after the kill or just before the new subscription took hold."""
    last: dict[tuple[str, ...], int] = {}
    first: dict[tuple[str, ...], int] = {}
    for at, ev in entries:
        feed = _feed(ev)
        if feed is None:
            continue
        if at < killed_ms:
            last[feed] = max(last.get(feed, 0), ev.ts_event)
        else:
            first[feed] = min(first.get(feed, 1 << 62), ev.ts_event)
    return {f: (last.get(f, 0), first.get(f, 1 << 62)) for f in set(last) | set(first)}


def _key(ev: MarketEvent) -> object:
    if isinstance(ev, DexSwap):
        return ("swap", ev.tx_id)
    if isinstance(ev, CexTrade):
        return (
            "trade",
            ev.venue.value,
            ev.symbol.replace("/", ""),
            ev.ts_event,
            round(ev.price, 10),
            round(ev.size, 10),
        )
    return None


def test_kill_and_restart_engine_and_collector_loses_and_duplicates_nothing(
    tmp_path: Path, redis_url: str
) -> None:
    truth_log = tmp_path / "truth.jsonl"
    sim, desc, desc_line = start_sim("--speed", str(SPEED), "--log", str(truth_log))
    (tmp_path / "sim.json").write_text(desc_line, encoding="utf-8")
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("DEXCEX_")}
    common = [
        "run",
        "--no-status",
        "--sim-connect",
        str(tmp_path / "sim.json"),
        "--redis",
        redis_url,
    ]
    db_path = tmp_path / "engine" / "dexcex.sqlite3"
    r = redis.Redis.from_url(redis_url)
    decode_event = msgspec.json.Decoder(MarketEvent).decode
    missing_feeds: list[str] = []
    watched = load_settings().domain_assets()
    wanted_feeds: set[object] = {(m.venue.value, m.symbol) for a in watched for m in a.cex}
    wanted_feeds |= {a.id for a in watched if any(d.chain.value == "solana" for d in a.dex)}
    asset_of_feed = {(m.venue.value, m.symbol): a.id for a in watched for m in a.cex}
    feed_shard = {f: shard_of(asset_of_feed.get(f, f), 2) for f in wanted_feeds}  # type: ignore[arg-type]
    procs: list[Proc] = []
    try:
        collectors = [
            Proc(
                f"collector{k}",
                [*common, "--role", "collector", "--shard", f"{k}/2"],
                tmp_path,
                {
                    **base_env,
                    "DEXCEX_DATA_DIR": str(tmp_path / f"c{k}"),
                    "DEXCEX_LOG__LEVEL": "INFO",
                },
            )
            for k in range(2)
        ]
        page_port = free_port()
        engine_env = {
            **base_env,
            "DEXCEX_API__PORT": str(page_port),
            "DEXCEX_DATA_DIR": str(tmp_path / "engine"),
            "DEXCEX_LOG__LEVEL": "INFO",
            # more signals, so a restart has something to (not) duplicate
            "DEXCEX_CORE__SIGNALS__MIN_CONFIDENCE": "0.3",
        }
        procs += collectors
        engine = Proc("engine", [*common, "--role", "engine"], tmp_path, engine_env)
        procs.append(engine)

        down: set[str] = set()  # killed on purpose, until restarted

        def alive() -> None:
            for p in [*collectors, engine]:
                assert p.name in down or p.p.poll() is None, p.text()[-3000:]

        def until(what: str, ok: Callable[[], bool], seconds: float = 90) -> None:
            """Wait for a condition, with the processes alive, on a generous deadline."""
            deadline = time.monotonic() + seconds
            while not ok():
                alive()
                assert time.monotonic() < deadline, (
                    f"not within {seconds} s: {what} {missing_feeds}"
                )
                time.sleep(0.05)

        def group() -> dict[str, Any]:
            return group_info(r, STREAM) or {}

        def stream_grew(by: int) -> Callable[[], bool]:
            start = r.xlen(STREAM)
            return lambda: r.xlen(STREAM) >= start + by

        def every_feed_on_stream(shard: int | None = None, since_ms: int = 0) -> bool:
            """Every trade stream and every swap stream (of ``shard``) has put something
            on the stream (since ``since_ms``, market time): green lights say a
            connection is up, not that each subscription delivers."""
            seen: set[object] = set()
            for _, fields in r.xrevrange(STREAM, count=5000):
                ev = decode_event(fields[b"e"])
                if ev.ts_event < since_ms:
                    continue
                if isinstance(ev, CexTrade):
                    seen.add((ev.venue.value, ev.symbol))
                elif isinstance(ev, DexSwap):
                    seen.add(ev.asset_id)
            wanted = {f for f in wanted_feeds if shard is None or feed_shard[f] == shard}
            missing_feeds[:] = sorted(map(str, wanted - seen))
            return not missing_feeds

        def market_ms_now(wall_ms: float) -> int:
            return int(desc["start_ms"] + (wall_ms - desc["wall0_ms"]) * SPEED)

        def lights_green() -> bool:
            try:
                status = httpx.get(f"http://127.0.0.1:{page_port}/api/status", timeout=5).json()
            except httpx.HTTPError:
                return False
            lights = {s["name"]: s["light"] for s in status["sources"]}
            return all(
                lights.get(f"[{k}/2] {name}") == "green"
                for k in range(2)
                for name in ("mexc", "birdeye")
            )

        until("every stream subscribed: lights green on the engine's page", lights_green, 120)
        until("a trade of every market and a swap of every Solana asset", every_feed_on_stream, 120)
        subscribed_at = time.time() * 1000
        # the engine consumes: its group exists and has read a good part of the stream
        until("the engine reads the stream", lambda: delivered(r, STREAM, 500))
        pending_at_kill = 0
        for _ in range(20):  # kill it while it holds entries it has not acknowledged
            until("entries in flight", lambda: group().get("pending", 0) > 0)
            engine.kill()
            pending_at_kill = r.xpending(STREAM, "engine")["pending"]
            if pending_at_kill > 0:
                break
            engine.start()  # it had acknowledged everything just before: once more
        down.add("engine")
        until("collectors keep publishing meanwhile", stream_grew(200))
        engine.start()
        down.clear()
        until(
            "the restarted engine takes up what was pending",
            lambda: "bus: picked up unacknowledged entries" in engine.text(),
        )
        until("it consumes again", stream_grew(200))
        killed_at = time.time() * 1000
        collectors[0].kill()
        down.add(collectors[0].name)
        until("the other collector publishes", stream_grew(50))
        collectors[0].start()
        down.clear()
        restarted_at = time.time() * 1000

        # each shard's sources and streams are on the engine's page, and green; judged
        # from then on: the collector has come back (its old report expires in 15 s)
        until("every shard's sources green on the engine's page", lights_green, 120)
        resumed_ms = market_ms_now(restarted_at)
        until(
            "the restarted collector delivers every feed of its shard again",
            lambda: every_feed_on_stream(shard=0, since_ms=resumed_ms),
            120,
        )
        outage_end_wall = time.time() * 1000  # every feed of shard 0 delivers again
        until(
            "30 market seconds judged after the collector's outage",
            lambda: time.time() * 1000 >= outage_end_wall + 30_000 / SPEED,
            120,
        )
        for c in collectors:
            assert c.stop() == 0, c.text()[-2000:]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if caught_up(r, STREAM):
                break
            time.sleep(0.5)
        # collectors gone quiet: their sources turn red on the engine's page
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status = httpx.get(f"http://127.0.0.1:{page_port}/api/status", timeout=5).json()
            lights = {s["name"]: s["light"] for s in status["sources"]}
            if lights.get("[0/2] mexc") == "red" and lights.get("[1/2] birdeye") == "red":
                break
            time.sleep(1)
        assert lights.get("[0/2] mexc") == "red", lights
        assert engine.stop() == 0, engine.text()[-2000:]
        done = caught_up(r, STREAM)
        final_group = group()
        entries = r.xrange(STREAM)
    finally:
        for p in procs:
            p.reap()
        sim.send_signal(signal.SIGTERM)
        sim.wait(20)

    # every accepted event reached the engine and was acknowledged after processing
    assert done, final_group
    assert pending_at_kill > 0  # the kill did leave work in flight …
    assert "bus: picked up unacknowledged entries" in engine.text()  # … and it was picked up
    decode = msgspec.json.Decoder(MarketEvent).decode
    stamped = [(int(eid.split(b"-")[0]), decode(fields[b"e"])) for eid, fields in entries]
    events = [ev for _, ev in stamped]
    keys = Counter(k for k in map(_key, events) if k is not None)
    assert not [k for k, n in keys.items() if n > 1], "an event is on the stream twice"
    # the truth knows transactions; a swap's id is its transaction's hash + a digest
    keys.update({("swap", str(k[1]).split(":")[0]): 1 for k in list(keys) if k[0] == "swap"})

    # the stream holds what the simulator sent, except the killed collector's outage
    assets = load_settings().domain_assets()
    shard = {a.id: shard_of(a.id, 2) for a in assets}
    pools = {p.address.lower(): a.id for a in assets for d in a.dex for p in d.pools}
    markets = {m.symbol.replace("/", ""): a.id for a in assets for m in a.cex}
    start = desc["start_ms"]
    wall0 = desc["wall0_ms"]

    def market_ms(wall_ms: float) -> int:
        return int(start + (wall_ms - wall0) * SPEED)

    def shard_of_event(ev: MarketEvent) -> int | None:
        if isinstance(ev, DexSwap):
            return shard[ev.asset_id]
        if isinstance(ev, CexTrade):
            return shard[markets[ev.symbol.replace("/", "")]]
        return None

    outages = _outages([(at, ev) for at, ev in stamped if shard_of_event(ev) == 0], killed_at)
    first_judged = market_ms(subscribed_at)
    # judged up to a margin before each shard's last event: the collectors are stopped one
    # after the other, so one shard's feeds end before the other's
    last_of_shard: dict[int, int] = {}
    for ev in events:
        k = shard_of_event(ev)
        if k is not None:
            last_of_shard[k] = max(last_of_shard.get(k, 0), ev.ts_event)
    end_judged = {k: t - int(3_000 * SPEED) for k, t in last_of_shard.items()}
    missing = []
    judged: Counter[str] = Counter()
    for _, _stream, _n, ev in read_log(truth_log):
        if isinstance(ev, DexSwapEv) and ev.pool.lower() in pools:
            asset, key = pools[ev.pool.lower()], ("swap", ev.tx)
            feed: tuple[str, ...] = ("pool", ev.pool.lower())
            seen_t = ev.t - ev.t % 1000  # the stream stamps a swap with its block's second
        elif isinstance(ev, CexTradeEv) and ev.symbol in markets:
            asset = markets[ev.symbol]
            key = ("trade", ev.venue, ev.symbol, ev.t, round(ev.price, 10), round(ev.size, 10))
            feed = ("trades", ev.venue, ev.symbol)
            seen_t = ev.t
        else:
            continue
        if not first_judged <= ev.t <= end_judged.get(shard[asset], 0):
            continue
        lo, hi = outages.get(feed, (0, 0))
        if shard[asset] == 0 and lo <= seen_t <= hi:
            continue  # its collector was dead: the venue does not replay
        judged[asset] += 1
        if key not in keys:
            missing.append((asset, key, shard[asset], ev.t, outages.get(feed)))
    assert sum(judged.values()) > 200 and len(judged) == len(assets), judged
    assert not missing, (
        f"{len(missing)} events the simulator sent never reached the stream: {missing[:5]}"
        f" (outages per feed of shard 0: {sorted(outages.items())[:6]})"
    )

    # no signal stored twice (ids come from the data; the store refuses a second copy)
    db = Database.open(f"sqlite:///{db_path}")
    try:
        rows = list(db.signals.iter_range())
    finally:
        db.close()
    assert len(rows) == len({r["id"] for r in rows})


def test_shards_are_stable_and_cover_every_asset() -> None:
    from dexcex.pipeline.runner import shard_settings

    s = load_settings()
    parts = [shard_settings(s, k, 3).assets for k in range(3)]
    assert sorted(a.id for p in parts for a in p) == sorted(a.id for a in s.assets)
    assert shard_of("wif", 3) == shard_of("wif", 3) == 1  # crc32: the same on every machine
    with pytest.raises(ConfigError, match=r"K must be in 0\.\.2"):
        shard_settings(s, 3, 3)
