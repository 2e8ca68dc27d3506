"""Secondary cells: every group × horizon other than the primary, with adjusted p-values.

Each cell reports n, mean gross and net return (net with its block-bootstrap CI and
p(mean > 0)), and the direction hit rate (with p(hit > ½)). The p-values of all the
secondary cells together are adjusted (Holm by default, or Benjamini–Hochberg) — so
that "one cell out of forty looked good" is not read as a finding. A cell whose horizon
the data cannot measure for any of the group's assets is marked so and tested not at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dexcex.evaluation.groups import Labeled
from dexcex.evaluation.stats import Estimate, adjust, bootstrap_mean, hits
from dexcex.labeling.outcomes import HORIZONS

__all__ = ["Cell", "per_asset", "secondary_cells"]


@dataclass(frozen=True, slots=True)
class Cell:
    group: str
    horizon: str
    n: int
    mean_gross: float | None
    net: Estimate
    hit: Estimate
    measurable: bool
    p_net_adj: float | None = None
    p_hit_adj: float | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "group": self.group,
            "horizon": self.horizon,
            "n": self.n,
            "measurable": self.measurable,
            "mean_gross_bps": self.mean_gross,
            "mean_net_bps": self.net.value,
            "mean_net_ci": list(self.net.ci) if self.net.ci else None,
            "p_net": self.net.p,
            "p_net_adj": self.p_net_adj,
            "hit_rate": self.hit.value,
            "hit_ci": list(self.hit.ci) if self.hit.ci else None,
            "p_hit": self.hit.p,
            "p_hit_adj": self.p_hit_adj,
        }


def _cell(g: Labeled, h: str, reps: int, seed: int, measurable: bool, mb: int) -> Cell:
    net, ret = g.net[h], g.ret[h]
    ok = ~np.isnan(net)
    hit_v = np.where(ok, hits(np.nan_to_num(ret)), np.nan)
    return Cell(
        g.name,
        h,
        int(ok.sum()),
        float(np.nanmean(ret)) if ok.any() else None,
        bootstrap_mean(net, g.blocks, reps=reps, seed=seed, min_blocks=mb),
        bootstrap_mean(hit_v, g.blocks, null=0.5, reps=reps, seed=seed, min_blocks=mb),
        measurable,
    )


def secondary_cells(
    groups: list[Labeled],
    primary: tuple[str, str],
    measurable: dict[str, set[str]],
    *,
    method: str = "holm",
    reps: int = 1000,
    seed: int = 0,
    min_blocks: int = 8,
) -> list[Cell]:
    """Every (group, horizon) except ``primary`` (group key, horizon), adjusted."""
    cells: list[Cell] = []
    for g in groups:
        for h in HORIZONS:
            if (g.key, h) == primary:
                continue
            can = bool(set(g.entries.assets) & measurable[h]) or not len(g)
            cells.append(_cell(g, h, reps, seed, can, min_blocks))
    tested = [i for i, c in enumerate(cells) if c.measurable and c.n >= 2]
    # both statistics of every tested cell are one family
    adj = adjust([cells[i].net.p for i in tested] + [cells[i].hit.p for i in tested], method)
    k = len(tested)
    for j, i in enumerate(tested):
        c = cells[i]
        cells[i] = Cell(
            c.group, c.horizon, c.n, c.mean_gross, c.net, c.hit, c.measurable, adj[j], adj[k + j]
        )
    return cells


def per_asset(g: Labeled, h: str, assumed: set[str]) -> list[dict[str, object]]:
    """The group at horizon ``h``, one row per asset."""
    rows = []
    for asset in sorted(set(g.entries.assets)):
        idx = g.entries.rows_of(asset)
        net, ret = g.net[h][idx], g.ret[h][idx]
        ok = ~np.isnan(net)
        rows.append(
            {
                "asset": asset,
                "signals": len(idx),
                "measured": int(ok.sum()),
                "mean_gross_bps": float(np.nanmean(ret)) if ok.any() else None,
                "mean_net_bps": float(np.nanmean(net)) if ok.any() else None,
                "hit_rate": float(hits(ret[ok]).mean()) if ok.any() else None,
                "mean_cost_bps": float(np.mean(g.entries.cost_bps[idx])),
                "costs": "assumed" if asset in assumed else "measured",
            }
        )
    return rows
