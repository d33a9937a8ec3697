"""`journeyctl`: run the stack and its parts, and operate journeys.

`journeyctl api` and `journeyctl worker` import their process's code when they run: a worker
starts without the API's web framework, and the API without the worker's (start-up time,
bench/cold_start.py)."""

import asyncio
from datetime import datetime

import typer
from temporalio.client import Client

from catalog import cli as catalog_cli
from channels import cli as channels_cli
from cli.preflight import load_settings
from cli.simulate import simulate_command
from content import cli as content_cli
from dormancy import cli as dormancy_cli
from experiments import cli as experiments_cli
from guardrails import cli as guardrails_cli
from logging_setup import configure_logging
from models.durations import parse_duration
from offers import cli as offers_cli
from ops.audit import audited_command
from ops.cli import ops_app
from ops.customers import customers_app
from ops.switches import switches_app
from ops.time_travel import fast_forward
from recommendations import cli as recommendations_cli
from reports import cli as reports_cli
from scoring import cli as scoring_cli
from settings import Settings
from storage.database import migrate as run_migrations
from telemetry.tracing import configure_tracing
from temporal_client import run_with_client

app = typer.Typer(help="Durable customer journeys on Temporal.", no_args_is_help=True)
app.add_typer(ops_app, name="ops")
app.add_typer(customers_app, name="customers")
app.add_typer(switches_app, name="switches")
# The domain packages' own commands: models, figures and dry runs of each decision.
for name, sub_app in {
    "scoring": scoring_cli.app,
    "dormancy": dormancy_cli.app,
    "offers": offers_cli.app,
    "experiments": experiments_cli.app,
    "guardrails": guardrails_cli.app,
    "content": content_cli.app,
    "catalog": catalog_cli.app,
    "channels": channels_cli.app,
    "reports": reports_cli.app,
    "recommendations": recommendations_cli.app,
}.items():
    app.add_typer(sub_app, name=name)
# The bandit's persisted state lives with the reports; its commands sit beside the evaluation.
experiments_cli.app.command("refresh")(reports_cli.refresh)
experiments_cli.app.command("report")(reports_cli.report)


@app.command()
def up(api_port: int = typer.Option(8000, help="port of the API")) -> None:
    """Start the whole stack: Temporal dev server with its UI, worker and API, on SQLite."""
    from cli.stack import run_stack

    run_stack(Settings(), api_port)


@app.command()
def api(
    host: str = typer.Option("127.0.0.1", help="interface to listen on"),
    port: int = typer.Option(8000, help="port to listen on"),
) -> None:
    """Run the HTTP API (run `migrate` first)."""
    import uvicorn

    from api.app import create_app

    settings = load_settings("api")
    configure_logging(settings)
    tracing = configure_tracing(settings.telemetry, "api")
    application = create_app(settings, tracer_provider=tracing)
    uvicorn.run(application, host=host, port=port, log_config=None, access_log=False)


@app.command()
def worker() -> None:
    """Run a journey worker (run `migrate` first)."""
    from workers.main import run_worker

    asyncio.run(run_worker(load_settings("worker")))


@app.command()
def migrate() -> None:
    """Bring the database schema to the newest revision."""
    settings = load_settings("migrate")
    asyncio.run(run_migrations(settings.resolved_database_url, settings.keyring()))
    typer.echo("database at the newest revision")


@app.command("fast-forward")
def fast_forward_command(
    workflow_id: str = typer.Argument(..., help="e.g. cart_abandonment:c-1"),
    duration: str = typer.Argument(..., help="how far to move the journey's clock: 30m, 4h, 1d"),
) -> None:
    """Move one running journey's clock forward (needs a server with time skipping enabled)."""
    try:
        delta = parse_duration(duration)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="DURATION") from err

    settings = Settings()

    async def forward(client: Client) -> datetime:
        async with audited_command(settings, "journey.fast_forward", workflow_id) as audit:
            audit.detail = {"by": duration}
            return await fast_forward(client, workflow_id, delta)

    reached = run_with_client(settings, forward)
    typer.echo(f"{workflow_id}: clock now {reached.isoformat()}")


# The same command under `ops`, beside replay and retry; the top-level name keeps working.
ops_app.command("fast-forward")(fast_forward_command)

app.command("simulate")(simulate_command)
