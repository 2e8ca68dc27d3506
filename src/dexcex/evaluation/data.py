"""The seam between whatever ran the engine and the statistics: plain data.

``EvalData`` holds what the engine said (every core output: the signal and the risk
decision), the CEX mids and spreads per asset, the simulator's truth when there is one,
and what the readers knew about where each asset's data came from. The statistics read
only this, so they do not care whether a replay, a live run or a test produced it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from dexcex.core import CoreOutput
from dexcex.domain import Chain, VenueId
from dexcex.labeling.outcomes import HORIZONS, MidSeries
from dexcex.sim.market.events import Burst, CexMove

__all__ = ["CoreLike", "EvalData", "Prices", "ReaderLike", "ReplayLike", "from_replay"]


class ReaderLike(Protocol):
    @property
    def book_origin(self) -> str: ...

    @property
    def book_markets(self) -> set[tuple[VenueId, str]]: ...

    @property
    def dex_sources(self) -> dict[str, set[str]]: ...


class CoreLike(Protocol):
    def asset_of_market(self, venue: VenueId, symbol: str) -> str | None: ...


class ReplayLike(Protocol):
    """What ``evaluation.runner.Replay`` holds (the readers and core are optional)."""

    outputs: list[CoreOutput]
    mids: dict[str, MidSeries]
    spreads: dict[str, list[float]]
    bursts: list[Burst]
    moves: list[CexMove]
    events: int
    first_ts: int
    last_ts: int


@dataclass(frozen=True, slots=True)
class Prices:
    """One asset's CEX mids as arrays (ms, price), and their median spacing."""

    times: npt.NDArray[np.int64]
    mids: npt.NDArray[np.float64]
    resolution_ms: int

    @classmethod
    def of(cls, s: MidSeries) -> Prices:
        return cls(
            np.asarray(s.times, dtype=np.int64),
            np.asarray(s.mids, dtype=np.float64),
            int(s.resolution_s() * 1000),
        )

    def measurable(self, horizon_s: int) -> bool:
        """A horizon needs at least two mid steps to be measured."""
        return len(self.times) >= 2 and horizon_s * 1000 >= 2 * self.resolution_ms

    @property
    def max_gap_ms(self) -> int:
        """The largest gap between a wanted time and the mid that stands for it."""
        return max(120_000, int(1.5 * self.resolution_ms))


@dataclass
class EvalData:
    outputs: list[CoreOutput]
    prices: dict[str, Prices]
    spreads: dict[str, list[float]] = field(default_factory=dict)
    bursts: list[Burst] = field(default_factory=list)
    moves: list[CexMove] = field(default_factory=list)
    events: int = 0
    first_ts: int = 0
    last_ts: int = 0
    chains: dict[str, Chain] = field(default_factory=dict)
    sources: dict[str, set[str]] = field(default_factory=dict)
    assumed_costs: set[str] = field(default_factory=set)  # assets on rebuilt books
    stale_cex_ms: int = 15_000  # the book-age limit the run used (the null's too)

    def measurable_assets(self, horizon: str) -> set[str]:
        secs = HORIZONS[horizon]
        return {a for a, p in self.prices.items() if p.measurable(secs)}


def from_replay(
    replay: ReplayLike,
    *,
    readers: Sequence[ReaderLike] = (),
    core: CoreLike | None = None,
    stale_cex_ms: int = 15_000,
) -> EvalData:
    """``EvalData`` of a finished replay; what its readers knew (sources, whether books
    were rebuilt) is used when they are given, with the core that maps markets."""
    data = EvalData(
        outputs=replay.outputs,
        prices={a: Prices.of(s) for a, s in replay.mids.items() if len(s) >= 2},
        spreads=replay.spreads,
        bursts=replay.bursts,
        moves=replay.moves,
        events=replay.events,
        first_ts=replay.first_ts,
        last_ts=replay.last_ts,
        stale_cex_ms=stale_cex_ms,
    )
    for o in replay.outputs:
        if o.signal.dex.chain is not None:
            data.chains.setdefault(o.signal.asset_id, o.signal.dex.chain)
    for r in readers:
        for aid, srcs in r.dex_sources.items():
            data.sources.setdefault(aid, set()).update(srcs)
        if r.book_origin == "assumed" and core is not None:
            for venue, sym in r.book_markets:
                owner = core.asset_of_market(venue, sym)
                if owner is not None:
                    data.assumed_costs.add(owner)
    return data
