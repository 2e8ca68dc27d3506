"""What an evaluation replay collected (``Replay``), and finding the files it reads.

The replay itself runs through the one engine (``dexcex.roots.evaluate``), so evaluation
measures the product itself: the same reorder window, core and risk as a live run."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dexcex.core import Core, CoreOutput
from dexcex.evaluation.readers import Reader, open_reader, select_readers
from dexcex.labeling.outcomes import MidSeries
from dexcex.sim.market.events import Burst, CexMove

__all__ = ["Replay", "expand_paths", "open_readers"]


@dataclass
class Replay:
    readers: list[Reader]
    unreadable: list[str]
    outputs: list[CoreOutput] = field(default_factory=list)
    mids: dict[str, MidSeries] = field(default_factory=dict)
    spreads: dict[str, list[float]] = field(default_factory=dict)
    bursts: list[Burst] = field(default_factory=list)
    moves: list[CexMove] = field(default_factory=list)
    events: int = 0
    first_ts: int = 0
    last_ts: int = 0
    core: Core | None = None


def expand_paths(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(q for q in p.rglob("*") if q.is_file() and not q.name.endswith(".md"))
        else:
            out.append(p)
    return out


def open_readers(paths: list[Path]) -> tuple[list[Reader], list[str]]:
    """A reader for every file under ``paths`` that has a known format; why not, for the
    others."""
    readers: list[Reader] = []
    unreadable: list[str] = []
    for p in expand_paths(paths):
        r = open_reader(p)
        (unreadable.append(r) if isinstance(r, str) else readers.append(r))
    readers, superseded = select_readers(readers)
    return readers, unreadable + superseded
