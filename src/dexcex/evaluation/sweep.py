"""``dexcex sim sweep``: where detection stops paying.

A grid over the informed flow of a scenario — move size, number of informed wallets,
follow probability, lag — each cell a simulated world run through the engine and judged
like real data: recall and precision against the truth, the passed signals' mean net
return at the plan's horizon, and the plan's verdict. Per (wallets, follow, lag) line the
**break-even move** is where the mean net return crosses zero, interpolated along the
move sizes (None when it never does inside the grid). ``wallets=False`` repeats it
without trader ids, as DexScreener-fed EVM chains see the market.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dexcex.config.core_settings import CoreSettings
from dexcex.evaluation.plan import EvaluationPlan
from dexcex.evaluation.simrun import light, run_world
from dexcex.sim.scenario import Scenario

__all__ = ["Grid", "break_even", "run_sweep", "write_sweep_chart"]


@dataclass(frozen=True, slots=True)
class Grid:
    move_bps: list[float] = field(default_factory=lambda: [10.0, 40.0])
    informed_wallets: list[int] = field(default_factory=lambda: [4, 200])
    p_move: list[float] = field(default_factory=lambda: [0.8])
    lag_s: list[float] = field(default_factory=lambda: [30.0])

    def cells(self) -> list[tuple[float, int, float, float]]:
        return list(
            itertools.product(self.move_bps, self.informed_wallets, self.p_move, self.lag_s)
        )


def _cell_scenario(base: Scenario, move: float, wallets: int, p: float, lag_s: float) -> Scenario:
    inf = base.informed.model_copy(
        update={
            "move_bps": (move * 0.75, move * 1.25),
            "informed_wallets": wallets,
            "wallets_per_burst": min(wallets, base.informed.wallets_per_burst or wallets),
            "p_move": p,
            "p_move_range": None,
            "lag_ms": (lag_s * 500, lag_s * 1500),
        }
    )
    return base.model_copy(update={"informed": inf})


def run_sweep(
    base: Scenario,
    grid: Grid,
    settings: CoreSettings,
    plan: EvaluationPlan,
    *,
    minutes: float = 60.0,
    assets: list[str] | None = None,
    wallets: bool = True,
    seed: int = 0,
) -> dict[str, Any]:
    """Every grid cell of ``base`` (made light), judged; plus break-even moves."""
    rows = []
    for move, n_w, p, lag in grid.cells():
        sc = light(_cell_scenario(base, move, n_w, p, lag), assets)
        res = run_world(sc, minutes, settings, plan, wallets=wallets, seed=seed)
        rows.append(
            {"move_bps": move, "informed_wallets": n_w, "p_move": p, "lag_s": lag, **res.row()}
        )
    return {
        "scenario": base.name,
        "wallet_ids": wallets,
        "minutes": minutes,
        "horizon": plan.primary.horizon,
        "rows": rows,
        "break_even": break_even(rows),
    }


def break_even(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (wallets, p_move, lag): the move size at which mean net crosses zero."""
    out = []
    keys = sorted({(r["informed_wallets"], r["p_move"], r["lag_s"]) for r in rows})
    for k in keys:
        line = sorted(
            (r["move_bps"], r["mean_net_passed_bps"])
            for r in rows
            if (r["informed_wallets"], r["p_move"], r["lag_s"]) == k
            and r["mean_net_passed_bps"] is not None
        )
        be: float | None = None
        for (m0, n0), (m1, n1) in itertools.pairwise(line):
            if n0 < 0 <= n1:
                be = m0 + (m1 - m0) * (-n0) / (n1 - n0)
                break
        if be is None and line and line[0][1] >= 0:
            be = line[0][0]  # pays already at the smallest move tried
        out.append({"informed_wallets": k[0], "p_move": k[1], "lag_s": k[2], "break_even_bps": be})
    return out


def write_sweep_chart(result: dict[str, Any], path: Path) -> None:
    """Mean net return (and recall) against move size, one line per grid line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.8), dpi=110)
    for be in result["break_even"]:
        k = (be["informed_wallets"], be["p_move"], be["lag_s"])
        pts = sorted(
            (r["move_bps"], r["mean_net_passed_bps"], r["recall"])
            for r in result["rows"]
            if (r["informed_wallets"], r["p_move"], r["lag_s"]) == k
        )
        label = f"{k[0]} informed, p {k[1]:g}, lag {k[2]:g} s"
        ax.plot(
            [p[0] for p in pts],
            [p[1] if p[1] is not None else float("nan") for p in pts],
            marker="o",
            label=label,
        )
        bx.plot([p[0] for p in pts], [p[2] for p in pts], marker="o", label=label)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set(
        xlabel="planted CEX move, bps",
        ylabel=f"passed signals: mean net at {result['horizon']}, bps",
        title="where detection stops paying" + ("" if result["wallet_ids"] else " (no wallet ids)"),
    )
    bx.set(xlabel="planted CEX move, bps", ylabel="recall of followed informed bursts", ylim=(0, 1))
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
