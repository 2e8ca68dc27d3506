"""The card's pictures: reliability diagram, feature importance, walk-forward equity."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dexcex.models.learners import LEARNERS
from dexcex.models.train import Trained

__all__ = ["equity_png", "importance_png", "write_plots"]


def write_plots(card: dict[str, Any], t: Trained, folder: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = ["reliability.png", "importance.png", "equity.png"]
    fig, ax = plt.subplots(figsize=(6, 5), dpi=100)
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=0.8)
    for k in LEARNERS:
        bins = t.oos[k].get("bins") or []
        if bins:
            ax.plot([b[0] for b in bins], [b[1] for b in bins], marker="o", label=k)
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="calibrated probability", ylabel="label rate")
    ax.set_title(f"Reliability out of sample ({card['target']})")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(folder / names[0])
    plt.close(fig)
    importance_png(card, folder / names[1])
    equity_png(t.equity, LEARNERS, folder / names[2])
    return names


def importance_png(card: dict[str, Any], path: Path) -> None:
    import matplotlib.pyplot as plt

    imp = list(card["importance"].items())[:25][::-1]
    fig, ax = plt.subplots(figsize=(7, max(3, 0.28 * len(imp) + 1)), dpi=100)
    ax.barh([n for n, _ in imp], [w for _, w in imp])
    ax.set_title(f"Feature importance ({card['learner']})")
    ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def equity_png(
    equity: dict[str, tuple[list[int], list[float]]], learners: Sequence[str], path: Path
) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    t0 = min((equity[k][0][0] for k in learners if equity[k][0]), default=0)
    for k in learners:
        ts, eq = equity[k]
        if ts:
            ax.plot((np.asarray(ts) - t0) / 3_600_000, eq, label=f"{k} top decile")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set(xlabel="hours into the out-of-sample span", ylabel="cumulative net, bps")
    ax.set_title("Walk-forward equity (each fold's test window, after costs)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
