"""`journeyctl recommendations ...`: predict from a history file with the shipped model, load the
model into the database's serving tables. (Training lives in `python -m lab.recommendations`.)"""

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from recommendations.history import HistoryError
from recommendations.model import SHIPPED_ARTIFACT, ArtifactError, ModelSlice, load_model
from recommendations.predict import predict_file
from recommendations.tables import load_model_tables
from settings import Settings
from storage import recommendations as store
from storage.database import create_engine, session_factory
from terminal.output import progress

app = typer.Typer(
    help="Recommendations: predict with the shipped model, load it for serving.",
    no_args_is_help=True,
)

ArtifactOption = Annotated[Path, typer.Option(help="Model artefact (default: the shipped one).")]


@app.command()
def predict(
    history: Annotated[Path, typer.Option(help="Baskets CSV with the Complete Journey columns.")],
    output: Annotated[Path, typer.Option(help="Where to write the picks CSV.")],
    k: Annotated[int, typer.Option(min=1, max=100, help="Picks per customer.")] = 10,
    artifact: ArtifactOption = SHIPPED_ARTIFACT,
) -> None:
    """Top-k new products per customer: customer_id,rank,product_id,kind,reason_code."""
    started = time.perf_counter()
    model = _model(artifact)
    typer.echo(
        f"model {model.version}: {len(model.items):,} items ({time.perf_counter() - started:.1f} s)"
    )

    try:
        with progress("predicting", None, unit="customers") as advance:
            customers = predict_file(
                model, history, output, k, lambda _done, total: advance(1, of=total)
            )
    except HistoryError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from err
    typer.echo(
        f"wrote {output}: top {k} for {customers} customers "
        f"in {time.perf_counter() - started:.1f} s"
    )


@app.command()
def load(artifact: ArtifactOption = SHIPPED_ARTIFACT) -> None:
    """Load a model version into the serving tables and switch to it atomically."""
    asyncio.run(_load(Settings(), _model(artifact)))


def _model(artifact: Path) -> ModelSlice:
    try:
        return load_model(artifact)
    except ArtifactError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from err


@app.command()
def activate(
    version: Annotated[str, typer.Argument(help="A loaded version, e.g. recs-v1.")],
) -> None:
    """Switch the serving tables back (or forward) to a version still loaded."""
    asyncio.run(_activate(Settings(), version))


async def _activate(settings: Settings, version: str) -> None:
    engine = create_engine(settings.resolved_database_url)
    sessions = session_factory(engine)
    try:
        async with sessions() as session:
            loaded = {row.version for row in await store.loaded_versions(session)}
        if version not in loaded:
            typer.echo(f"error: {version} is not loaded (loaded: {', '.join(sorted(loaded))})")
            raise typer.Exit(2)
        await store.activate(sessions, version)
    finally:
        await engine.dispose()
    typer.echo(f"{version} is now active")


async def _load(settings: Settings, model: ModelSlice) -> None:
    engine = create_engine(settings.resolved_database_url)
    sessions = session_factory(engine)
    started = time.perf_counter()

    def progress(done: int) -> None:
        if done % 50_000 < 2_000:
            typer.echo(f"  {done:,} rows ({time.perf_counter() - started:.0f} s)")

    try:
        typer.echo(f"loading {model.version} ...")
        switched, rows = await load_model_tables(sessions, model, datetime.now(UTC), progress)
        async with sessions() as session:
            versions = await store.loaded_versions(session)
    finally:
        await engine.dispose()
    if switched:
        typer.echo(f"{model.version}: {rows:,} rows loaded, now active")
    else:
        typer.echo(f"{model.version} is already the active version; nothing loaded")
    for row in versions:
        state = "active" if row.active else "kept for rollback"
        typer.echo(f"  {row.version}\t{state}\t{row.sources:,} neighbour lists")
