"""The Redis Streams bus against a real redis-server: it stops promptly however it is
caught, and recovery after a crash never overfills the engine's drop-oldest bus."""

from __future__ import annotations

import asyncio
import random
import time

from dexcex.pipeline.bus import MarketBus
from dexcex.pipeline.redisbus import RedisConsumer, RedisPublisher
from tests.factories import make_book

STREAM, GROUP = "t:events", "engine"


def _consumer(url: str, bus: MarketBus, done: tuple[int, int] | None = None) -> RedisConsumer:
    through = (lambda: done) if done is not None else (lambda: (bus.drained, 2**62))
    return RedisConsumer(url, STREAM, GROUP, "engine-1", bus, through, batch=500)


async def test_stop_is_prompt_wherever_the_consumer_is(redis_url: str) -> None:
    # redis-py can lose a cancellation inside a blocking XREADGROUP (seen: 4 stops in
    # 300 hung for good); the consumer stops at a flag between commands instead
    rnd = random.Random(3)
    slowest = 0.0
    for _ in range(60):
        bus = MarketBus(1000)
        c = _consumer(redis_url, bus)
        await c.start()
        await asyncio.sleep(rnd.random() * 0.08)
        t0 = time.monotonic()
        await asyncio.wait_for(c.stop(), 20)
        slowest = max(slowest, time.monotonic() - t0)
    assert slowest < 2.0, slowest


async def test_recovered_entries_wait_for_room_instead_of_being_dropped(
    redis_url: str,
) -> None:
    pub = RedisPublisher(redis_url, STREAM)
    await pub.start()
    sent = [make_book(100 + i * 0.01, ts=1_700_000_000_000 + i) for i in range(1500)]
    for ev in sent:
        pub.publish(ev)
    await pub.stop()
    assert pub.sent == 1500

    # the first engine reads everything and dies before it acknowledges anything
    first_bus = MarketBus(10_000)
    first = _consumer(redis_url, first_bus, done=(0, 0))
    await first.start()
    for _ in range(1000):
        if first.received == 1500:
            break
        await asyncio.sleep(0.01)
    assert first.received == 1500
    first._closing = True  # no last acknowledgement: as if killed
    await asyncio.wait_for(first._task, 5)  # type: ignore[arg-type]
    await first.redis.aclose()

    # restarted with a bus far smaller than what it left pending
    bus = MarketBus(100)
    second = _consumer(redis_url, bus)
    got: list[float] = []

    async def engine() -> None:
        while len(got) < 1500:
            await bus.wait(0.05)
            got.extend(ev.mid for ev in bus.drain(30))  # type: ignore[attr-defined]
            await asyncio.sleep(0.001)

    await second.start()
    await asyncio.wait_for(engine(), 20)
    await second.stop()
    assert bus.dropped == 0
    assert second.recovered == 1500
    assert got == [ev.mid for ev in sent]
