"""``dexcex model train | list | show | promote | retire | compare``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from dexcex.cli.common import console, parse_when, settings_of, with_db
from dexcex.roots.running import open_database

app = typer.Typer(help="Models learnt from the labelled dataset.", no_args_is_help=True)


def _rows(
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


@app.command("train")
def train(
    ctx: typer.Context,
    dataset: Path | None = typer.Option(None, "--dataset", help="An exported dataset file."),
    db: str | None = typer.Option(None, "--db", help="Database to read (default: the configured)."),
    target: str = typer.Option("label_5m", "--target", help="label_30s … label_60m."),
    features: str = typer.Option("dex", "--features", help="dex (all) or scores (the rule's)."),
    learner: str = typer.Option("lgbm", "--learner", help="lgbm or logistic: the one kept."),
    folds: int = typer.Option(4, "--folds", min=2, max=20),
    calibration: str = typer.Option("isotonic", "--calibration", help="isotonic or platt."),
    seed: int = typer.Option(0, "--seed"),
    report: Path = typer.Option(Path("report"), "--report", help="Report folder."),
) -> None:
    """Walk-forward training of LightGBM, a logistic baseline and the hand-set rule,
    calibrated on unseen folds; writes a model card (JSON, Markdown, PNGs)."""
    from dexcex.models.service import train_and_write
    from dexcex.models.train import TrainConfig

    if learner not in ("lgbm", "logistic"):
        raise typer.BadParameter("lgbm or logistic", param_hint="--learner")
    rows, digest = _rows(ctx, dataset, db)
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
