"""``dexcex model train | list | show | promote | retire | compare``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from dexcex.cli.common import console, parse_when, settings_of, with_db
from dexcex.roots.running import open_database

app = typer.Typer(help="Models learnt from the labelled dataset.", no_args_is_help=True)


def rows_of(
    ctx: typer.Context, dataset: Path | None, db: str | None
) -> tuple[list[dict[str, Any]], str]:
    from dexcex.models.data import read_dataset, rows_of_db

    if dataset is not None:
        return read_dataset(dataset)
    database = open_database(with_db(settings_of(ctx), db))
    try:
        signals = list(database.signals.iter_range(parse_when(None), parse_when(None)))
    finally:
        database.close()
    return rows_of_db(signals)


def _check_learner(target: str, learner: str, register: bool | None) -> bool:
    """Whether ``target`` is a regression; a learner or --register it cannot take refused."""
    from dexcex.models.data import is_regression

    try:
        regression = is_regression(target)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--target") from None
    allowed = ("lgbm", "ridge") if regression else ("lgbm", "logistic")
    if learner not in allowed:
        raise typer.BadParameter(" or ".join(allowed), param_hint="--learner")
    if regression and register:
        raise typer.BadParameter(
            "a net-return regression is judged on its card only; the registry serves classifiers",
            param_hint="--register",
        )
    return regression


@app.command("train")
def train(
    ctx: typer.Context,
    dataset: Path | None = typer.Option(None, "--dataset", help="An exported dataset file."),
    db: str | None = typer.Option(None, "--db", help="Database to read (default: the configured)."),
    target: str = typer.Option(
        "label_5m",
        "--target",
        help="label_30s … label_60m (a classifier), or net_30s … net_60m (the net return "
        "after costs in bps: a regression).",
    ),
    features: str = typer.Option("dex", "--features", help="dex (all) or scores (the rule's)."),
    learner: str = typer.Option(
        "lgbm", "--learner", help="The one kept: lgbm, or the baseline (logistic; ridge)."
    ),
    folds: int = typer.Option(4, "--folds", min=2, max=20),
    calibration: str = typer.Option("isotonic", "--calibration", help="isotonic or platt."),
    seed: int = typer.Option(0, "--seed"),
    report: Path = typer.Option(Path("report"), "--report", help="Report folder."),
    register: bool | None = typer.Option(
        None,
        "--register/--no-register",
        help="Add the model to the registry (default: when a database is read or given).",
    ),
) -> None:
    """Walk-forward training of LightGBM, a linear baseline and the hand-set rule (for a
    label: classifiers calibrated on unseen folds; for net_<h>: regressions of the net
    return); writes a model card (JSON, Markdown, PNGs)."""
    from dexcex.models.service import train_and_write
    from dexcex.models.train import TrainConfig

    regression = _check_learner(target, learner, register)
    rows, digest = rows_of(ctx, dataset, db)
    cfg = TrainConfig(
        target=target,
        feature_set=features,
        learner=learner,
        folds=folds,
        calibration=calibration,
        seed=seed,
    )
    out = train_and_write(rows, digest, cfg, report)
    card = out.card
    console.print(
        f"model {card['id']}: {card['data']['rows']:,} rows, "
        f"{len(card['folds'])} walk-forward folds"
    )
    for line in card["verdict"]:
        console.print(f"  {line}", highlight=False)
    console.print(f"card: {out.folder / 'card.json'} (and card.md, PNGs)")
    default = (dataset is None or db is not None) and not regression
    if register if register is not None else default:
        from dexcex.models.service import register as add

        database = open_database(with_db(settings_of(ctx), db))
        try:
            rec = add(database.models, out)
        finally:
            database.close()
        console.print(f"registered {rec.id} as a candidate: {rec.path} (sha256 {rec.sha256[:12]}…)")


def _models(ctx: typer.Context, db: str | None) -> Any:
    return open_database(with_db(settings_of(ctx), db))


@app.command("list")
def list_(
    ctx: typer.Context,
    db: str | None = typer.Option(None, "--db", help="Database URL (default: the configured)."),
) -> None:
    """Every registered model with its status and out-of-sample evidence."""
    from rich.table import Table

    from dexcex.models.guard import evidence_of

    database = _models(ctx, db)
    try:
        recs = database.models.all()
    finally:
        database.close()
    t = Table(title="models")
    for col in ("id", "status", "learner", "rows", "top-decile net bps [95 % CI]", "evidence"):
        t.add_column(col)
    for r in recs:
        ev = evidence_of(r.card)
        t.add_row(
            r.id,
            r.status,
            r.learner,
            f"{r.card['data']['rows']:,}",
            ev.text,
            "yes" if ev.ok else "no",
        )
    console.print(t)


@app.command("show")
def show(
    ctx: typer.Context,
    model_id: str = typer.Argument(..., help="Model id."),
    db: str | None = typer.Option(None, "--db", help="Database URL (default: the configured)."),
) -> None:
    """A model's card summary, status and file."""
    rec = _get(ctx, model_id, db)
    console.print(f"{rec.id}: {rec.status}; file {rec.path} (sha256 {rec.sha256})")
    for line in rec.card.get("verdict", []):
        console.print(f"  {line}", highlight=False)


def _get(ctx: typer.Context, model_id: str, db: str | None) -> Any:
    from dexcex.domain import DexcexError

    database = _models(ctx, db)
    try:
        rec = database.models.get(model_id)
    finally:
        database.close()
    if rec is None:
        raise DexcexError(f"no model {model_id!r} in the registry (see `dexcex model list`)")
    return rec


def _set(ctx: typer.Context, model_id: str, status: str, db: str | None) -> None:
    import time

    from dexcex.domain import DexcexError
    from dexcex.models.service import load_scorer

    rec = _get(ctx, model_id, db)
    if status in ("shadow", "active"):
        load_scorer(rec, status)  # a file that would be refused at start is refused now
    database = _models(ctx, db)
    try:
        out = database.models.set_status(model_id, status, int(time.time() * 1000))
    finally:
        database.close()
    if out is None:
        raise DexcexError(f"no model {model_id!r} in the registry")
    console.print(f"{model_id}: {rec.status} → {status}")


@app.command("promote")
def promote(
    ctx: typer.Context,
    model_id: str = typer.Argument(..., help="Model id."),
    to: str = typer.Option("shadow", "--to", help="shadow (scores, never trades) or active."),
    db: str | None = typer.Option(None, "--db", help="Database URL (default: the configured)."),
) -> None:
    """Shadow: scored beside the rule on every signal. Active: the model that
    `execution.auto = "model"` may trade with (one at a time; the previous is retired)."""
    if to not in ("shadow", "active"):
        raise typer.BadParameter("shadow or active", param_hint="--to")
    _set(ctx, model_id, to, db)


@app.command("retire")
def retire(
    ctx: typer.Context,
    model_id: str = typer.Argument(..., help="Model id."),
    db: str | None = typer.Option(None, "--db", help="Database URL (default: the configured)."),
) -> None:
    """No longer loaded, scored or traded."""
    _set(ctx, model_id, "retired", db)


@app.command("compare")
def compare(
    ctx: typer.Context,
    model_id: str = typer.Argument(..., help="A shadow or active model."),
    db: str | None = typer.Option(None, "--db", help="Database URL (default: the configured)."),
    plan: Path | None = typer.Option(None, "--plan", help="Evaluation plan (default: packaged)."),
) -> None:
    """The rule and the model on the same labelled signals: the plan's primary metric,
    block-bootstrap CIs, and the paired difference."""
    from dexcex.evaluation.plan import load_plan
    from dexcex.models.compare import compare_on
    from dexcex.models.service import load_scorer

    rec = _get(ctx, model_id, db)
    scorer = load_scorer(rec, rec.status)
    database = _models(ctx, db)
    try:
        rows = list(database.signals.iter_range(parse_when(None), parse_when(None)))
    finally:
        database.close()
    p = load_plan(plan)
    res = compare_on(rows, model_id, scorer.calibrate(scorer.cut), p)
    for line in res.lines():
        console.print(line, highlight=False)
    console.print(f"plan sha256 {p.sha256[:12]}…")


@app.command("resume")
def resume(
    ctx: typer.Context,
    db: str | None = typer.Option(None, "--db", help="Database URL (default: the configured)."),
) -> None:
    """Automatic trading paused by drift goes on (a running engine reads it within 10 s)."""
    import time

    database = _models(ctx, db)
    try:
        doc = database.state.get("auto_pause") or {}
        database.state.put("auto_pause", {"on": False, "reason": ""}, int(time.time() * 1000))
    finally:
        database.close()
    was = doc.get("reason") if doc.get("on") else None
    console.print(f"automatic trading resumed (was paused: {was})" if was else "it was not paused")
