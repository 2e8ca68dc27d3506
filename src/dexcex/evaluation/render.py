"""The report for people: the verdict line, the tables, the chart."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from rich.table import Table

from dexcex.labeling.outcomes import HORIZONS

__all__ = ["primary_lines", "render_assets", "render_secondary", "write_chart"]


def _num(x: float | None, fmt: str = "+.1f") -> str:
    return "n/a" if x is None else format(x, fmt)


def _ci(ci: list[float] | None) -> str:
    return f"[{ci[0]:+.1f}, {ci[1]:+.1f}]" if ci else ""


def _p(p: float | None) -> str:
    return "—" if p is None else f"{p:.3f}"


def primary_lines(report: dict[str, Any]) -> list[str]:
    """The verdict, then what stands behind it, in a few lines."""
    v = report["verdict"]
    lines = [v["line"]]
    plan = report["plan"]
    few = plan["bootstrap"]["min_blocks"]

    def p_of(e: dict[str, Any]) -> str:  # no p-value from too few independent blocks
        return _p(e["p"]) if e["blocks"] >= few else f"n/a ({e['blocks']} blocks < {few})"

    lines.append(
        f"  primary metric set before looking: {plan['primary']['group']} signals at "
        f"{plan['primary']['horizon']}, alpha {plan['primary']['alpha']:g} "
        f"(plan sha256 {plan['sha256'][:12]})"
    )
    g, n = v["mean_gross"], v["mean_net"]
    h = v["hit_rate"]
    lines.append(
        f"  gross {_num(g['value'])} bps {_ci(g['ci'])}, net {_num(n['value'])} bps "
        f"{_ci(n['ci'])} (block bootstrap by asset × hour, {n['blocks']} blocks); "
        f"direction hit {_num(h['value'], '.0%')} p(>50 %) = {p_of(h)}"
    )
    perm = v["permutation"]
    if perm:
        null_mean = perm["null_mean_bps"]
        lines.append(
            f"  permutation null ({perm['draws']:,} random-timing draws, same assets, "
            f"directions, filters and costs): null mean {_num(null_mean)} bps, "
            f"p = {perm['p_mean']:.3f} (hit rate p = {perm['p_hit']:.3f})"
        )
    for key, what in (("vs_random_timing", "random timing"), ("vs_cex_momentum", "CEX momentum")):
        d = v.get(key)
        if d and d["value"] is not None:
            lines.append(
                f"  paired difference vs {what}: {d['value']:+.1f} bps {_ci(d['ci'])}, "
                f"p(>0) = {p_of(d)}"
            )
    return lines


def render_secondary(report: dict[str, Any]) -> Table:
    adj = report["plan"]["secondary"]["adjust"]
    assumed = (
        " (costs assumed for " + ", ".join(report["costs_assumed_for"]) + ")"
        if report["costs_assumed_for"]
        else ""
    )
    table = Table(
        title=f"Secondary cells, net of costs{assumed}",
        caption=f"mean with 95 % block-bootstrap CI; p one-sided; adj: {adj} over all "
        "secondary tests; n/m: horizon finer than the CEX data",
    )
    for col in ("group", "h", "n", "gross", "net [95 % CI]", "p adj", "hit", "p adj (hit)"):
        table.add_column(col, justify="left" if col == "group" else "right")
    last = None
    for c in report["secondary"]:
        if last is not None and c["group"] != last:
            table.add_section()
        name = c["group"] if c["group"] != last else ""
        last = c["group"]
        if not c["measurable"]:
            table.add_row(name, c["horizon"], "n/m", "", "", "", "", "")
            continue
        table.add_row(
            name,
            c["horizon"],
            str(c["n"]),
            _num(c["mean_gross_bps"]),
            f"{_num(c['mean_net_bps'])} {_ci(c['mean_net_ci'])}",
            _p(c["p_net_adj"]),
            _num(c["hit_rate"], ".0%"),
            _p(c["p_hit_adj"]),
        )
    return table


def render_assets(report: dict[str, Any]) -> Table:
    v = report["verdict"]
    table = Table(title=f"Per asset: {v['group']} at {v['horizon']}")
    for col in ("asset", "signals", "measured", "gross", "net", "hit", "cost", "costs"):
        table.add_column(col, justify="left" if col in ("asset", "costs") else "right")
    for r in report["per_asset"]:
        table.add_row(
            r["asset"],
            str(r["signals"]),
            str(r["measured"]),
            _num(r["mean_gross_bps"]),
            _num(r["mean_net_bps"]),
            _num(r["hit_rate"], ".0%"),
            f"{r['mean_cost_bps']:.1f}",
            r["costs"],
        )
    return table


def write_chart(report: dict[str, Any], path: Path) -> None:
    """Mean net return per group and horizon with its 95 % CI (the primary highlighted)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = list(report["secondary"])
    v = report["verdict"]
    cells.append(
        {
            "group": v["group"],
            "horizon": v["horizon"],
            "measurable": True,
            "mean_net_bps": v["mean_net"]["value"],
            "mean_net_ci": v["mean_net"]["ci"],
            "n": v["n"],
        }
    )
    names = list(dict.fromkeys(c["group"] for c in cells))
    hs = list(HORIZONS)
    fig, ax = plt.subplots(figsize=(10, 5.5), dpi=110)
    width = 0.8 / max(1, len(names))
    for i, name in enumerate(names):
        by_h = {c["horizon"]: c for c in cells if c["group"] == name}
        means, lo, hi = [], [], []
        for h in hs:
            c = by_h.get(h, {})
            m = c.get("mean_net_bps")
            ci = c.get("mean_net_ci") or [m or 0.0, m or 0.0]
            means.append(m if m is not None else math.nan)
            lo.append((m or 0.0) - ci[0])
            hi.append(ci[1] - (m or 0.0))
        xs = [j + (i - len(names) / 2) * width + width / 2 for j in range(len(hs))]
        ax.bar(xs, means, width, yerr=[lo, hi], capsize=2, label=name)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(hs)), hs)
    ax.set_ylabel("mean net return after costs, bps (95 % block-bootstrap CI)")
    ax.set_title(
        ("EDGE DETECTED" if v["edge"] else "NO EDGE DETECTED")
        + f" — primary: {v['group']} at {v['horizon']}"
    )
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
