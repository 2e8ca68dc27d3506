"""The page relay's parts against a real Redis: the engine's hub messages reach an API
process's hub; a click is answered by the engine, a stale or malformed one is not acted
on, and with no engine the click is answered 503."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import msgspec
import pytest
import redis.asyncio as aioredis
from fastapi import HTTPException

from dexcex.api.hub import Hub
from dexcex.api.relay import COMMANDS, PAGE_STREAM, CommandServer, PageRelay, RemoteEngine
from dexcex.api.schemas import StatusOut
from dexcex.api.service import Answer
from dexcex.clock import SystemClock
from tests.waiting import until

STATUS = StatusOut(
    mode="paper",
    auto_execute=False,
    market="sim",
    active_venue="mexc",
    now_ms=1,
    uptime_s=1.0,
    events=0,
    signals=0,
    dropped=0,
    sources=[],
).model_dump()


async def test_page_messages_reach_the_api_hub_and_state_is_kept(redis_url: str) -> None:
    r = aioredis.Redis.from_url(redis_url)
    engine_hub, api_hub = Hub(SystemClock()), Hub(SystemClock())
    relay = PageRelay(r, engine_hub)
    remote = RemoteEngine(r, api_hub, validate={"status": StatusOut.model_validate})
    client, _ = api_hub.connect()
    await relay.start()
    await remote.start()
    try:
        # the reader starts at the stream's end: wait until it is reading
        async with asyncio.timeout(5):
            while remote.received == 0:
                await r.xadd(PAGE_STREAM, {b"k": b"hello", b"d": b"{}"})
                await asyncio.sleep(0.05)
        while not client.queue.empty():
            client.queue.get_nowait()
        base = remote.received
        # bad input first: not JSON, and a status of the wrong shape — refused, counted
        await r.xadd(PAGE_STREAM, {b"k": b"signal", b"d": b"{not json"})
        await r.xadd(PAGE_STREAM, {b"k": b"status", b"d": b'{"mode": 3}'})
        engine_hub.publish("status", STATUS)
        engine_hub.publish("signal", {"id": "sig_1"})
        engine_hub.publish("positions", [{"asset_id": "wif"}])
        got = []
        async with asyncio.timeout(5):
            while len(got) < 3:
                got.append(msgspec.json.decode(await client.queue.get()))
        assert [m["type"] for m in got] == ["status", "signal", "positions"]
        seqs = [m["seq"] for m in got]
        assert seqs == list(range(seqs[0], seqs[0] + 3))  # the API hub's own, gap-free
        assert remote.status == STATUS
        assert remote.rejected == 2 and remote.received == base + 3  # the stream went on
        assert remote.latest["positions"] == [{"asset_id": "wif"}]
        assert "signal" not in remote.latest  # signals come from the store, not a cache
        # counted once redis answered the write, which may be after the reader saw it
        await until(lambda: relay.sent >= 3, 5, "the relay counted its writes")
        assert relay.sent == 3 and relay.dropped == 0
    finally:
        await remote.stop()
        await relay.stop()
        await r.aclose()


async def test_clicks_are_answered_and_stale_or_malformed_ones_are_not_acted_on(
    redis_url: str,
) -> None:
    r = aioredis.Redis.from_url(redis_url)
    executed: list[tuple[str, bool]] = []

    async def handle(op: str, args: dict[str, Any]) -> Answer:
        assert op == "execute"
        signal_id, confirm = args["signal_id"], args["confirm"]
        executed.append((signal_id, confirm))
        if signal_id == "boom":
            raise RuntimeError("database away")
        if signal_id == "unknown":
            return Answer(404, detail="no signal 'unknown'")
        return Answer(200, body={"signal_id": signal_id})

    async def execute(signal_id: str, confirm: bool) -> Answer:
        return await remote.command("execute", {"signal_id": signal_id, "confirm": confirm})

    server = CommandServer(r, handle)
    remote = RemoteEngine(r, Hub(SystemClock()), answer_timeout_s=2)
    await server.start()
    try:
        async with asyncio.timeout(10):  # the server reads from the stream's end: until it is
            while True:
                with contextlib.suppress(HTTPException):
                    if (await execute("ready", False)).status == 200:
                        break
        executed.clear()
        handled0 = server.handled
        await r.xadd(COMMANDS, {b"c": b"not json"})  # refused and logged; the server goes on
        old = {"id": "x1", "signal_id": "s0", "confirm": False, "ts": 1}
        await r.xadd(COMMANDS, {b"c": msgspec.json.encode(old)})
        assert await execute("s1", True) == Answer(200, body={"signal_id": "s1"})
        assert await execute("unknown", False) == Answer(404, detail="no signal 'unknown'")
        failed = await execute("boom", False)  # answered, and the server goes on
        assert failed.status == 503 and "database away" in (failed.detail or "")
        assert (await execute("s3", False)).status == 200
        stale = msgspec.json.decode((await r.blpop(["dexcex:reply:x1"], timeout=2))[1])
        assert stale == {"status": 409, "body": None, "detail": "the command is too old to act on"}
        # never the stale one
        assert executed == [("s1", True), ("unknown", False), ("boom", False), ("s3", False)]
        assert server.handled - handled0 == 5 and server.rejected == 1  # the one that was not JSON
    finally:
        await server.stop()
    # no engine listening: the click is answered, not left waiting
    t0 = time.monotonic()
    with pytest.raises(HTTPException) as exc:
        await execute("s2", False)
    assert exc.value.status_code == 503 and "did not answer" in str(exc.value.detail)
    assert time.monotonic() - t0 < 4
    assert len(executed) == 4
    await r.aclose()
