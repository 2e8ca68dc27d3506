"""``dexcex evaluate``: replay, label, compare with baselines, and say it plainly.

Groups compared, each labeled at 30 s … 60 m net of costs:

- DEX candidates: every signal the core produced (filtered ones included);
- DEX signals: those that passed the signal filters (status new);
- DEX approved: those risk would have traded;
- random timing: as many entries near each DEX signal's time, random direction;
- CEX momentum: a rule that sees only the CEX mid.

Output: a table on the terminal, ``evaluation.json`` and ``evaluation.png``.
"""

from __future__ import annotations

import math
import re
import statistics
from pathlib import Path
from typing import Any

import msgspec

from dexcex.config.core_settings import CoreSettings
from dexcex.domain import SignalStatus
from dexcex.evaluation.metrics import (
    Entry,
    GroupStats,
    detection,
    label_entries,
    momentum_entries,
    random_entries,
    summarize,
)
from dexcex.evaluation.runner import Replay
from dexcex.labeling.outcomes import HORIZONS

__all__ = ["build_report", "render_table", "write_chart"]


def _entries(replay: Replay, *, status: SignalStatus | None, approved: bool) -> list[Entry]:
    out = []
    for o in replay.outputs:
        s = o.signal
        if s.origin != "dex":  # the live CEX-only baseline is not a DEX signal
            continue
        if status is not None and s.status is not status:
            continue
        if approved and not o.decision.approved:
            continue
        out.append(Entry(s.asset_id, s.ts, s.direction.sign, s.features.get("cost_bps", 10.0)))
    return out


def build_report(replay: Replay, settings: CoreSettings, seed: int) -> dict[str, Any]:
    candidates = _entries(replay, status=None, approved=False)
    passed = _entries(replay, status=SignalStatus.NEW, approved=False)
    approved = _entries(replay, status=SignalStatus.NEW, approved=True)
    fee = settings.risk.taker_fee_bps
    costs = {
        a: 2 * fee + (statistics.median(sp) if sp else 2.0) for a, sp in replay.spreads.items()
    }
    timing_base = passed or candidates
    # A horizon shorter than twice the spacing of the CEX mids (1-minute candles, say)
    # cannot be measured: it is reported as such, not as a return of zero.
    resolution_s = max((m.resolution_s() for m in replay.mids.values()), default=0.0)
    skip = {h for h, secs in HORIZONS.items() if secs < 2 * resolution_s}

    def group(name: str, entries: list[Entry]) -> GroupStats:
        return summarize(name, label_entries(entries, replay.mids), seed, skip=skip)

    groups: list[GroupStats] = [
        group("DEX: all candidates", candidates),
        group("DEX: passed filters", passed),
        group("DEX: risk-approved", approved),
        group(
            "random timing",
            random_entries(timing_base, replay.first_ts, replay.last_ts, seed),
        ),
        group("CEX momentum", momentum_entries(replay.mids, costs)),
    ]
    report: dict[str, Any] = {
        "inputs": [r.describe() for r in replay.readers],
        "unreadable": replay.unreadable,
        "problems": {r.path.name: r.problems[:5] for r in replay.readers if r.problems},
        "events": replay.events,
        "span_hours": _covered_hours(replay),
        "assets_with_cex_mids": sorted(replay.mids),
        "cex_mid_resolution_s": resolution_s,
        "horizons_not_measurable": sorted(skip, key=lambda h: HORIZONS[h]),
        "signals": {
            "candidates": len(candidates),
            "passed_filters": len(passed),
            "approved": len(approved),
            "filter_reasons": _reasons(replay),
        },
        "groups": [msgspec.to_builtins(g) for g in groups],
        "core_counters": dict(replay.core.counters) if replay.core else {},
        "seed": seed,
        "cost_model": (
            f"round trip: 2 x {fee:g} bps taker fee + the signal's estimated spread and slippage"
        ),
    }
    if replay.bursts:
        report["detection"] = {
            "all candidates": detection(candidates, replay.bursts),
            "passed filters": detection(passed, replay.bursts),
        }
    return report


def _covered_hours(replay: Replay) -> float:
    """Hours covered by at least one file (files of different days do not add up their gap)."""
    spans = sorted((r.first_ts, r.last_ts) for r in replay.readers if r.first_ts and r.last_ts)
    total, end = 0, 0
    for a, b in spans:
        if b > end:
            total += b - max(a, end)
            end = b
    return total / 3_600_000


def _reasons(replay: Replay) -> dict[str, int]:
    out: dict[str, int] = {}
    for o in replay.outputs:
        r = o.signal.status_reason
        if o.signal.origin == "dex" and o.signal.status is SignalStatus.FILTERED and r:
            key = re.split(r"[\d(<]", r, maxsplit=1)[0].strip()
            out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def _fmt(x: float | None, ci: Any = None) -> str:
    if x is None:
        return "n/a"
    s = f"{x:+.1f}"
    if ci:
        s += f" [{ci[0]:+.1f}, {ci[1]:+.1f}]"
    return s


def render_table(report: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(
        title="Net return after costs, bps",
        caption="mean with its 95 % bootstrap CI; random timing and CEX momentum are the "
        "baselines; n/a: no data at that horizon",
    )
    for col in ("group", "h", "n", "hit", "mean net [95 % CI]", "median"):
        table.add_column(col, justify="left" if col == "group" else "right")
    for g in report["groups"]:
        first = True
        for h in HORIZONS:
            hs = g["horizons"][h]
            table.add_row(
                g["name"] if first else "",
                h,
                str(hs["labeled"]),
                f"{hs['hit_rate']:.0%}" if hs["hit_rate"] is not None else "n/a",
                _fmt(hs["mean_net_bps"], hs["mean_ci"]),
                _fmt(hs["median_net_bps"]),
            )
            first = False
        table.add_section()
    return table


def write_chart(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 5.5), dpi=110)
    names = [g["name"] for g in report["groups"]]
    hs = list(HORIZONS)
    width = 0.8 / max(1, len(names))
    for i, g in enumerate(report["groups"]):
        means, lo, hi = [], [], []
        for h in hs:
            st = g["horizons"][h]
            m = st["mean_net_bps"]
            means.append(m if m is not None else math.nan)  # no bar where nothing was measured
            ci = st["mean_ci"] or (m or 0.0, m or 0.0)
            lo.append((m or 0.0) - ci[0])
            hi.append(ci[1] - (m or 0.0))
        xs = [j + (i - len(names) / 2) * width + width / 2 for j in range(len(hs))]
        ax.bar(xs, means, width, yerr=[lo, hi], capsize=2, label=f"{names[i]} (n={g['entries']})")
    for j, h in enumerate(hs):
        if h in report.get("horizons_not_measurable", ()):
            ax.text(j, 0, "n/a\n(CEX data\ntoo coarse)", ha="center", va="bottom", fontsize=8)
    ax.set_xlim(-0.5, len(hs) - 0.5)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(hs)), hs)
    ax.set_ylabel("mean net return after costs, bps (95 % CI)")
    ax.set_title("dexcex evaluate: DEX signals vs baselines")
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
