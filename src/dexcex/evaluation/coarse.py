"""Coarse CEX data (candles) and the stale-book guard.

Live, the guard filters a signal whose CEX book is older than ``stale_cex_s`` (15 s by
default): the feed is broken, the price unknown. On candles there is one book per bar,
stamped at the bar's close, so a book's age at a signal measures only where in the bar
the signal fell: with 1-minute bars and a 15 s limit only signals in the first quarter
of each minute (in practice, the first block of the minute) pass, and "passed filters"
becomes a timing artefact, not a judgement.

The honest treatment used here: when the data's books come from bars, the guard's
limit is raised to one bar plus 10 % — a book is then "stale" only when a bar is
*missing* (the feed's gap), which is what the guard means — and the change is printed
with the results. Entry still happens at the first mid after the signal (the next bar
close), so no look-ahead comes in with it; the random-timing null uses the same limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from dexcex.config.core_settings import CoreSettings

__all__ = ["relax_for_bars"]


class _Barred(Protocol):
    bar_ms: int | None


def relax_for_bars(
    settings: CoreSettings, readers: Sequence[_Barred]
) -> tuple[CoreSettings, str | None]:
    """``settings`` with the stale-book limit fitted to the coarsest bar, and the note
    saying so (None when no reader yields bars coarser than the limit)."""
    bars = [r.bar_ms for r in readers if r.bar_ms]
    limit_ms = int(settings.signals.stale_cex_s * 1000)
    if not bars or max(bars) <= limit_ms:
        return settings, None
    new_s = max(bars) * 1.1 / 1000
    signals = settings.signals.model_copy(update={"stale_cex_s": new_s})
    note = (
        f"CEX books come from bars of up to {max(bars) / 60_000:g} min: the stale-book limit "
        f"is {new_s:g} s here (live: {settings.signals.stale_cex_s:g} s), so a book is stale "
        "only when a bar is missing — otherwise only signals early in each bar would pass"
    )
    return settings.model_copy(update={"signals": signals}), note
