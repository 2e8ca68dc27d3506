"""``dexcex doctor``: check the configured venues before a live run, one line a check;
non-zero exit when any check fails."""

from __future__ import annotations

import asyncio

import typer

from dexcex.cli.common import settings_of
from dexcex.clock import SystemClock
from dexcex.config import Settings
from dexcex.domain import VenueId
from dexcex.venues.doctor import Check, Level, check_venue
from dexcex.venues.registry import make_venue

__all__ = ["doctor", "run_doctor"]


async def run_doctor(settings: Settings) -> list[Check]:
    """Every check of every enabled venue (the primary needs keys; the backup is warned
    about when it has none, since it cannot take a failed-over order)."""
    out: list[Check] = []
    for vid in VenueId:
        if not settings.venues.get(vid).enabled:
            continue
        venue = make_venue(vid, settings, SystemClock())
        try:
            out += await check_venue(
                venue,
                settings.core.risk.order_notional_usd,
                keys_needed=vid is settings.venues.primary,
            )
        finally:
            await venue.close()
    return out


def doctor(ctx: typer.Context) -> None:
    """Check the configured venues before trading live: reachable, clock skew, key
    permissions (withdraw warned), markets, order size against lot and minimum
    notional, balances. Exits 1 when a check fails."""
    checks = asyncio.run(run_doctor(settings_of(ctx)))
    for c in checks:
        typer.echo(c.line())
    failed = sum(c.level is Level.FAIL for c in checks)
    warned = sum(c.level is Level.WARN for c in checks)
    typer.echo(f"{len(checks)} checks: {failed} failed, {warned} warnings")
    if failed:
        raise typer.Exit(1)
