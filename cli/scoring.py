"""`journeyctl scoring ...`: train the intent model and score session files.

Both commands read data tables: pandas, scikit-learn and xgboost (the optional `[ml]` extra) are
imported by the command that runs, not by this module, which every `journeyctl` process imports
(the worker and the API among them)."""

import time
from pathlib import Path
from typing import Annotated

import typer

from scoring.model import IntentModel
from scoring.segments import scores_and_segments
from scoring.settings import repo_path
from settings import Settings
from terminal.output import progress

app = typer.Typer(help="Intent model: train it, score session files.", no_args_is_help=True)

# The environment's settings (SCORING__*), as every process reads them; the options override.
_DEFAULTS = Settings().scoring


@app.command()
def train(
    data: Annotated[
        Path, typer.Option(help="Sessions CSV with a Revenue column (relative: to the repo root).")
    ] = _DEFAULTS.data_path,
    version: Annotated[str, typer.Option(help="Artifact name, e.g. intent-v2.")] = "intent-v1",
    output_dir: Annotated[
        Path, typer.Option(help="Where to write <version>.json and .meta.json.")
    ] = _DEFAULTS.model_path.parent,
    folds: Annotated[int, typer.Option(min=2, help="Cross-validation folds.")] = (
        _DEFAULTS.training.cv_folds
    ),
    rounds: Annotated[int, typer.Option(min=1, help="Boosting rounds.")] = (
        _DEFAULTS.training.rounds
    ),
) -> None:
    """Cross-validate the XGBoost intent model, print AUC, F1 and calibration, write it."""
    from lab.scoring.session_schema import SessionDataError
    from lab.scoring.training import train_intent_model, write_artifact

    settings = _DEFAULTS.training.model_copy(update={"cv_folds": folds, "rounds": rounds})
    data_path = repo_path(data).resolve()
    typer.echo(f"training {version} on {data_path}")
    started = time.perf_counter()
    try:
        with progress("cross-validating", settings.cv_folds, every=1, unit="folds") as advance:
            model = train_intent_model(
                data_path, str(data), version, settings, on_fold=lambda: advance(1)
            )
    except SessionDataError as err:
        typer.echo(f"error: {data_path}: {err}", err=True)
        raise typer.Exit(2) from err
    meta = model.metadata
    cv = meta["metrics"]["cross_validation"]
    holdout = meta["metrics"]["holdout"]
    split = meta["training_data"]
    typer.echo(
        f"data: {split['rows']} sessions, {split['positive_rate']:.1%} purchases; "
        f"{split['train_rows']} for CV and fit, {split['holdout_rows']} held out"
    )
    typer.echo(
        f"{cv['folds']}-fold CV  AUC {cv['auc']:.4f} (folds {_join(cv['fold_auc'])}, "
        f"sd {cv['auc_std']:.4f})"
    )
    typer.echo(
        f"             F1 {cv['f1']:.4f} at threshold {cv['threshold']:.2f} (F1-optimal; "
        f"precision {cv['precision']:.4f}, recall {cv['recall']:.4f})"
    )
    typer.echo(
        f"             Brier {cv['brier']:.4f} (base-rate predictor {cv['brier_base_rate']:.4f})"
    )
    typer.echo("reliability by decile of the out-of-fold probability:")
    typer.echo("  bin  sessions  predicted range   mean predicted  observed")
    for row in cv["reliability"]:
        typer.echo(
            f"  {row['bin']:>3}  {row['sessions']:>8}  {row['min_predicted']:.3f}-"
            f"{row['max_predicted']:.3f}     {row['mean_predicted']:>10.3f}  "
            f"{row['observed_rate']:>8.3f}"
        )
    typer.echo(
        f"hold-out     AUC {holdout['auc']:.4f}, F1 {holdout['f1']:.4f}, "
        f"Brier {holdout['brier']:.4f}"
    )
    path = write_artifact(model, repo_path(output_dir))
    typer.echo(
        f"wrote {path} ({path.stat().st_size / 1024:.0f} KB) and its metadata "
        f"in {time.perf_counter() - started:.1f} s"
    )


@app.command()
def predict(
    input_path: Annotated[
        Path,
        typer.Option(
            "--input", exists=True, dir_okay=False, help="Sessions CSV (Revenue is ignored)."
        ),
    ],
    output_path: Annotated[
        Path, typer.Option("--output", dir_okay=False, help="CSV to write the scores to.")
    ],
    model: Annotated[
        Path, typer.Option(help="Model artifact (.json, relative: to the repo root).")
    ] = _DEFAULTS.model_path,
) -> None:
    """Score every row: probability (0-1), score (0-100), segment (cold/warm/hot), in order."""
    import pandas as pd

    from lab.scoring.session_schema import SessionDataError, predict_sessions

    started = time.perf_counter()
    model_path = repo_path(model)
    if not model_path.is_file():
        typer.echo(f"error: no model at {model_path}; `scoring train` writes one", err=True)
        raise typer.Exit(2)
    intent_model = IntentModel.load(model_path)
    try:
        sessions = pd.read_csv(input_path)
        probabilities = predict_sessions(intent_model, sessions)
    except (SessionDataError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        typer.echo(f"error: {input_path}: {err}", err=True)
        raise typer.Exit(2) from err
    scores, segments = scores_and_segments(probabilities, _DEFAULTS.cold_below, _DEFAULTS.hot_above)
    pd.DataFrame(
        {"probability": probabilities.round(6), "score": scores, "segment": segments}
    ).to_csv(output_path, index=False)
    counts = pd.Series(segments).value_counts()
    elapsed = time.perf_counter() - started
    typer.echo(
        f"scored {len(sessions)} rows with {intent_model.version} in {elapsed:.2f} s "
        f"({len(sessions) / elapsed:,.0f} rows/s): "
        + ", ".join(f"{name} {counts.get(name, 0)}" for name in ("cold", "warm", "hot"))
    )
    typer.echo(f"wrote {output_path}")


def _join(values: list[float]) -> str:
    return " ".join(f"{value:.3f}" for value in values)
