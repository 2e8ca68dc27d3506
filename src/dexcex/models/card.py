"""The model card: what was learnt from what, how it was validated, and what the
out-of-sample figures say — as JSON, a Markdown page and three PNGs in one folder."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dexcex.models.learners import LEARNERS
from dexcex.models.train import TrainConfig, Trained

__all__ = ["build_card", "verdict_lines", "write_card"]


_INFERENCE = {
    "lgbm": "LightGBM C API single-row fast path (LGBM_BoosterPredictForMatSingleRowFast); "
    "Treelite is measured beside it in make bench but not served: a compiled model is "
    "native code, not the plain data a model file must be (docs/models.md, Serving)",
    "logistic": "a dot product in plain Python",
}


def _utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat()


def build_card(
    t: Trained, cfg: TrainConfig, model_id: str, created_ms: int, code: dict[str, str]
) -> dict[str, Any]:
    fr = t.frame
    card: dict[str, Any] = {
        "id": model_id,
        "created_utc": _utc(created_ms),
        "learner": cfg.learner,
        "target": cfg.target,
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
            "purge": f"rows whose {fr.horizon} label reaches past a boundary",
            "embargo_ms": cfg.embargo_ms,
            "calibration": f"{cfg.calibration}, fitted on the fold after the fit window",
            "bootstrap": {"reps": cfg.reps, "block": f"asset × {cfg.cluster_ms // 60000} min"},
            "alpha": cfg.alpha,
        },
        "params": {"seed": cfg.seed, cfg.learner: t.params},
        "folds": [f | {"bounds_utc": [_utc(x) for x in f["bounds_ms"]]} for f in t.folds],
        "out_of_sample": t.oos,
        "comparisons": t.comparisons,
        "evidence": t.evidence,
        "serving": {
            "top_decile_raw_cut": t.cut,
            "calibration": t.calibrator.kind,
            "inference": _INFERENCE[cfg.learner],
        },
        "importance": dict(sorted(t.importance.items(), key=lambda kv: -kv[1])),
    }
    card["verdict"] = verdict_lines(card)
    return card


def _ci(e: dict[str, Any], fmt: str = "{:+.2f}") -> str:
    if e.get("value") is None:
        return "n/a"
    ci = e.get("ci")
    s = fmt.format(e["value"])
    return s + (f" [{fmt.format(ci[0])}, {fmt.format(ci[1])}]" if ci else " [no CI]")


def verdict_lines(card: dict[str, Any]) -> list[str]:
    """Whether the kept model beats the logistic baseline and the rule, with the CIs."""
    out: list[str] = []
    ev = card["evidence"]
    for k in LEARNERS:
        e = ev[k]
        word = "above zero" if e["passes"] else "not shown above zero"
        out.append(f"{k}: top-decile net {_ci(e)} bps out of sample (p = {e['p']:.3f}): {word}")
    for name, c in card["comparisons"].items():
        a, b = name.split("_vs_")
        d = c["net_bps_per_offered"]
        ci = d.get("ci")
        beats = bool(ci is not None and ci[0] > 0)
        out.append(
            f"{a} {'beats' if beats else 'does not beat'} {b} out of sample: "
            f"{_ci(d, '{:+.3f}')} bps per offered signal; "
            f"Brier gain {_ci(c['brier_gain'], '{:+.4f}')}"
        )
    return out


def write_card(card: dict[str, Any], t: Trained, folder: Path) -> Path:
    """card.json, card.md and the PNGs in ``folder``; the JSON's path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "card.json"
    path.write_text(json.dumps(card, indent=2, default=float), encoding="utf-8")
    from dexcex.models.plots import write_plots

    pngs = write_plots(card, t, folder)
    (folder / "card.md").write_text(_markdown(card, pngs), encoding="utf-8")
    return path


def _markdown(card: dict[str, Any], pngs: list[str]) -> str:
    d = card["data"]
    rows = []
    for f in card["folds"]:
        r = f["rows"]
        for k, m in f["metrics"].items():
            auc = "n/a" if m["auc"] is None else f"{m['auc']:.3f}"
            rows.append(
                f"| {f['index']} | {f['bounds_utc'][2][:19]} | {r['fit']}/{r['calibration']}"
                f"/{r['test']} | {k} | {auc} | {_ci(m['brier'], '{:.4f}')} "
                f"| {_ci(m['log_loss'], '{:.3f}')} | {_ci(m['top_decile']['hit_rate'], '{:.2f}')} "
                f"| {_ci(m['top_decile']['net_bps'])} |"
            )
    return markdown_card(
        card,
        pngs,
        title=f"Model card {card['id']}",
        learner=f"target `{card['target']}`",
        data=f"{d['rows']:,} rows ({d['positives']:,} positive)",
        head="| fold | test from | rows fit/cal/test | learner | AUC | Brier | log loss ",
        rows=rows,
    )


def markdown_card(
    card: dict[str, Any],
    pngs: list[str],
    *,
    title: str,
    learner: str,
    data: str,
    head: str,
    rows: list[str],
) -> str:
    """A card's page: what the classifier's and the regression's cards share, around
    each one's own target line, data line and fold table (``head`` + ``rows``)."""
    d, v = card["data"], card["validation"]
    lines = [
        f"# {title}",
        "",
        f"- learner kept: **{card['learner']}**; {learner}; "
        f"feature set `{card['feature_set']}` ({len(card['features'])} inputs)",
        f"- data: sha256 `{d['sha256']}`, {data}, {d['span_utc'][0]} → {d['span_utc'][1]}",
        f"- code: {', '.join(f'{k} {val}' for k, val in card['code'].items())}",
        f"- validation: {v['scheme']}; {v['folds']} folds; calibration {v['calibration']}",
        "",
        "## Verdict (out of sample, 95 % block-bootstrap CIs)",
        "",
        *[f"- {line}" for line in card["verdict"]],
        "",
        "## Folds",
        "",
        head + "| top-10 % hit | top-10 % net bps |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "## Features (importance of the kept model)",
        "",
        *[f"- `{n}`: {w:.3f}" for n, w in card["importance"].items()],
        "",
        *[f"![{p}]({p})" for p in pngs],
        "",
    ]
    return "\n".join(lines)
