"""The page's status lights: one per data source and venue, the worst of its connection
and its streams, amber while the accuracy monitor keeps it out of signal generation; and
the light of an engine that has gone quiet (``--role api``)."""

from __future__ import annotations

import time

from dexcex.api.schemas import SourceOut
from dexcex.api.views import LIGHT, source_out
from dexcex.domain import SourceHealth
from dexcex.monitor.accuracy import AccuracyMonitor

__all__ = ["ENGINE_QUIET_MS", "engine_silent", "source_lights"]

_RANK = {"green": 0, "amber": 1, "red": 2}
ENGINE_QUIET_MS = 10_000  # the engine relays its state every second


def source_lights(health: list[SourceHealth], accuracy: AccuracyMonitor | None) -> list[SourceOut]:
    connectors = [h for h in health if ":" not in h.source]
    streams = [h for h in health if ":" in h.source]
    out = []
    for c in connectors:
        light = LIGHT[c.state]
        worst_detail = c.detail
        for s in streams:
            if s.source.split(":", 1)[0] != c.source:
                continue
            sl = LIGHT[s.state]
            if _RANK[sl] > _RANK[light]:
                light, worst_detail = sl, f"{s.source}: {s.state.value} {s.detail}".strip()
        so = source_out(c, light)
        so.detail = worst_detail
        if accuracy is not None:
            so.accuracy = accuracy.share(c.source)
            so.excluded = c.source in accuracy.excluded
            if so.excluded:
                so.light = "amber"
                so.detail = f"excluded: agrees in {so.accuracy or 0:.0%} of samples"
        out.append(so)
    return out


def engine_silent(last_ms: int | None) -> SourceOut:
    """The engine's own light on an API process: red once it has said nothing for a
    while (then the rest of the page is as it last said)."""
    age = int(time.time() * 1000) - (last_ms or 0)
    quiet = last_ms is None or age > ENGINE_QUIET_MS
    return SourceOut(
        name="engine",
        kind="engine",
        state="down" if quiet else "ok",
        light="red" if quiet else "green",
        connected=not quiet,
        active=not quiet,
        last_msg_age_ms=age if last_ms is not None else None,
        msg_rate=0.0,
        errors=0,
        rate_limited=0,
        reconnects=0,
        rejected=0,
        latency_p50_ms=None,
        latency_p99_ms=None,
        detail=(
            f"no word from the engine for {age / 1000:.0f} s: the rest is as it last said "
            "(is it running, with --page-relay?)"
            if quiet
            else ""
        ),
    )
