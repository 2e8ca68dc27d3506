"""The simulator's ground-truth log (``dexcex sim --log``; JSON lines, ``.zst`` or not):
swaps, liquidity, books (rebuilt from deltas, one book per market per second), and which
bursts were informed (ground truth for precision and recall)."""

from __future__ import annotations

from collections.abc import Iterator

from dexcex.domain import DexSwap, OrderBook
from dexcex.evaluation.readers.base import Item, Reader, Truth
from dexcex.sim.convert import SimToDomain
from dexcex.sim.groundtruth import read_log
from dexcex.sim.market.events import Burst, CexMove

__all__ = ["SimLogReader", "is_sim_log"]

_KINDS = ('"book"', '"swap"', '"trade"', '"bbo"', '"regime"')


def is_sim_log(first_line: str) -> bool:
    return first_line.startswith("[1,") and any(k in first_line for k in _KINDS)


class SimLogReader(Reader):
    kind = "simulator ground truth"

    def items(self) -> Iterator[Item]:
        from dexcex.config import load_settings

        known = {a.id: a for a in load_settings().domain_assets()}
        conv = SimToDomain(known, self.count, self.problems.append)
        for _, _, _, ev in read_log(self.path, opened=self._opened):
            for item in conv.convert(ev):
                if isinstance(item, (Burst, CexMove)):
                    self.count("bursts" if isinstance(item, Burst) else "CEX moves")
                    yield Truth(item.t, item)
                else:
                    if isinstance(item, DexSwap):
                        self.saw_source(item.asset_id, item.source)
                    elif isinstance(item, OrderBook):
                        self.book_markets.add((item.venue, item.symbol))
                    yield item
