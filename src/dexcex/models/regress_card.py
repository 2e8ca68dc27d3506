"""The card of a net-return regression (``model train --target net_5m``): the same
folder as a classifier's (card.json, card.md, PNGs), with the figures a forecast in bps is
judged by — IC (Spearman, Pearson), RMSE, and the top decile's net after costs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dexcex.models.card import _ci, _utc, markdown_card
from dexcex.models.regress import REGRESSORS, RIDGE_ALPHA, TrainedRegression
from dexcex.models.train import TrainConfig

__all__ = ["build_regression_card", "regression_verdict", "write_regression_card"]


def build_regression_card(
    t: TrainedRegression, cfg: TrainConfig, model_id: str, created_ms: int, code: dict[str, str]
) -> dict[str, Any]:
    fr = t.frame
    card: dict[str, Any] = {
        "id": model_id,
        "task": "regression",
        "created_utc": _utc(created_ms),
        "learner": cfg.learner,
        "target": cfg.target,
        "target_meaning": f"net return after fees and slippage at {fr.horizon}, bps",
        "horizon": fr.horizon,
        "feature_set": cfg.feature_set,
        "features": fr.names,
        "code": code,
        "data": {
            "sha256": fr.data_hash,
            "rows": len(fr),
            "positives": int(fr.y.sum()),
            "span_utc": [_utc(int(fr.ts[0])), _utc(int(fr.ts[-1]))],
            "left_out": fr.dropped,
        },
        "validation": {
            "scheme": "walk-forward by time (expanding fit window), purged and embargoed",
            "folds": cfg.folds,
            "purge": f"rows whose {fr.horizon} outcome reaches past a boundary",
            "embargo_ms": cfg.embargo_ms,
            "calibration": "none (a forecast in bps): the calibration chunk joins the fit",
            "bootstrap": {"reps": cfg.reps, "block": f"asset × {cfg.cluster_ms // 60000} min"},
            "alpha": cfg.alpha,
        },
        "params": {"seed": cfg.seed, cfg.learner: t.params, "ridge_alpha": RIDGE_ALPHA},
        "folds": [f | {"bounds_utc": [_utc(x) for x in f["bounds_ms"]]} for f in t.folds],
        "out_of_sample": t.oos,
        "comparisons": t.comparisons,
        "evidence": t.evidence,
        "importance": dict(sorted(t.importance.items(), key=lambda kv: -kv[1])),
    }
    card["verdict"] = regression_verdict(card)
    return card


def regression_verdict(card: dict[str, Any]) -> list[str]:
    """The top decile's net and the IC of each scorer; who beats whom, with the CIs."""
    out: list[str] = []
    for k in REGRESSORS:
        e, ic = card["evidence"][k], card["out_of_sample"][k]["ic_spearman"]
        word = "above zero" if e["passes"] else "not shown above zero"
        out.append(
            f"{k}: top-decile net {_ci(e)} bps out of sample (p = {e['p']:.3f}): {word}; "
            f"Spearman IC {_ci(ic, '{:+.3f}')}"
        )
    for name, c in card["comparisons"].items():
        a, b = name.split("_vs_")
        d = c["net_bps_per_offered"]
        beats = bool(d.get("ci") is not None and d["ci"][0] > 0)
        out.append(
            f"{a} {'beats' if beats else 'does not beat'} {b} out of sample: "
            f"{_ci(d, '{:+.3f}')} bps per offered signal; "
            f"IC gain {_ci(c['ic_gain'], '{:+.3f}')}"
        )
    return out


def write_regression_card(card: dict[str, Any], t: TrainedRegression, folder: Path) -> Path:
    """card.json, card.md, deciles.png, importance.png and equity.png in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "card.json"
    path.write_text(json.dumps(card, indent=2, default=float), encoding="utf-8")
    pngs = _plots(card, t, folder)
    (folder / "card.md").write_text(_markdown(card, pngs), encoding="utf-8")
    return path


def _plots(card: dict[str, Any], t: TrainedRegression, folder: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dexcex.models.plots import equity_png, importance_png

    fig, ax = plt.subplots(figsize=(6, 4.5), dpi=100)
    for k in REGRESSORS:
        dec = t.oos[k]["deciles"]
        ax.plot([d[0] for d in dec], [d[1] for d in dec], marker="o", label=k)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set(xlabel="decile of the prediction (within its fold)", ylabel="mean net, bps")
    ax.set_title(f"Realised net by predicted decile, out of sample ({card['target']})")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(folder / "deciles.png")
    plt.close(fig)
    importance_png(card, folder / "importance.png")
    equity_png(t.equity, REGRESSORS, folder / "equity.png")
    return ["deciles.png", "importance.png", "equity.png"]


def _markdown(card: dict[str, Any], pngs: list[str]) -> str:
    rows = []
    for f in card["folds"]:
        r = f["rows"]
        for k, m in f["metrics"].items():
            rmse = "n/a" if m["rmse_bps"] is None else f"{m['rmse_bps']:.1f}"
            rows.append(
                f"| {f['index']} | {f['bounds_utc'][2][:19]} | {r['fit']}/{r['test']} | {k} "
                f"| {_ci(m['ic_spearman'], '{:+.3f}')} | {_ci(m['ic_pearson'], '{:+.3f}')} "
                f"| {rmse} | {_ci(m['top_decile']['hit_rate'], '{:.2f}')} "
                f"| {_ci(m['top_decile']['net_bps'])} |"
            )
    return markdown_card(
        card,
        pngs,
        title=f"Model card {card['id']} (regression)",
        learner=f"target `{card['target']}` ({card['target_meaning']})",
        data=f"{card['data']['rows']:,} rows",
        head="| fold | test from | rows fit/test | learner | Spearman IC | Pearson IC | RMSE bps ",
        rows=rows,
    )
