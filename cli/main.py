"""`journeyctl`: run the stack and its parts, and operate journeys."""

import asyncio

import typer
import uvicorn

from api.app import create_app
from cli.durations import parse_duration
from cli.stack import run_stack
from logging_setup import configure_logging
from ops.time_travel import fast_forward_journey
from settings import Settings
from storage.database import migrate as run_migrations
from workers.main import run_worker

app = typer.Typer(help="Durable customer journeys on Temporal.", no_args_is_help=True)


@app.command()
def up(api_port: int = typer.Option(8000, help="port of the API")) -> None:
    """Start the whole stack: Temporal dev server with its UI, worker and API, on SQLite."""
    run_stack(Settings(), api_port)


@app.command()
def api(
    host: str = typer.Option("127.0.0.1", help="interface to listen on"),
    port: int = typer.Option(8000, help="port to listen on"),
) -> None:
    """Run the HTTP API (run `migrate` first)."""
    settings = Settings()
    configure_logging(settings)
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False)


@app.command()
def worker() -> None:
    """Run a journey worker (run `migrate` first)."""
    asyncio.run(run_worker(Settings()))


@app.command()
def migrate() -> None:
    """Bring the database schema to the newest revision."""
    asyncio.run(run_migrations(Settings().resolved_database_url))
    typer.echo("database at the newest revision")


@app.command("fast-forward")
def fast_forward(
    workflow_id: str = typer.Argument(..., help="e.g. cart_abandonment:c-1"),
    duration: str = typer.Argument(..., help="how far to move the journey's clock: 30m, 4h, 1d"),
) -> None:
    """Move one running journey's clock forward (needs a server with time skipping enabled)."""
    try:
        delta = parse_duration(duration)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="DURATION") from err
    reached = asyncio.run(fast_forward_journey(Settings(), workflow_id, delta))
    typer.echo(f"{workflow_id}: clock now {reached.isoformat()}")
