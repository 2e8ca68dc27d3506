"""Budgets a run has missed: every benchmark says whether its figure met its target, and
`make bench` exits non-zero when any did not, so a budget is a check, not a caption."""

from __future__ import annotations

MISSED: list[str] = []


def check(what: str, ok: bool) -> str:
    """Record one budget; return the word to print next to its figure."""
    if not ok:
        MISSED.append(what)
    return "met" if ok else "NOT MET"
