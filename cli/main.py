"""`journeyctl`: run the stack and its parts, and operate journeys.

Every command group is imported when it is invoked (`LazyGroups`), and `journeyctl api` and
`journeyctl worker` import their process's code when they run: a worker starts without the API's
web framework, the simulation's test server or the training libraries, and the API without the
worker's (start-up time, bench/cold_start.py)."""

import asyncio
from collections.abc import Callable
from datetime import datetime
from functools import cache
from importlib import import_module

import typer
from typer._click.core import Command, Context  # typer vendors click; its groups use these
from typer.core import TyperGroup

from cli.preflight import load_settings
from logging_setup import configure_logging
from settings import Settings


@cache
def _ops_app() -> typer.Typer:
    from cli.ops import ops_app

    # The same command under `ops`, beside replay and retry; the top-level name keeps working.
    ops_app.command("fast-forward")(fast_forward_command)
    return ops_app


@cache
def _experiments_app() -> typer.Typer:
    from cli import reports as reports_cli
    from cli.experiments import app as experiments

    # The bandit's persisted state lives with the reports; its commands sit beside the evaluation.
    experiments.command("refresh")(reports_cli.refresh)
    experiments.command("report")(reports_cli.report)
    return experiments


def _module_app(module: str, name: str = "app") -> Callable[[], typer.Typer]:
    return lambda: getattr(import_module(module), name)


# The command groups, each a loader of its Typer app: the domain packages' own commands (models,
# figures and dry runs of each decision) and the operator's.
GROUPS: dict[str, Callable[[], typer.Typer]] = {
    "ops": _ops_app,
    "customers": _module_app("cli.customers", "customers_app"),
    "scoring": _module_app("cli.scoring"),
    "dormancy": _module_app("cli.dormancy"),
    "offers": _module_app("cli.offers"),
    "experiments": _experiments_app,
    "guardrails": _module_app("cli.guardrails"),
    "content": _module_app("cli.content"),
    "catalog": _module_app("cli.catalog"),
    "channels": _module_app("cli.channels"),
    "reports": _module_app("cli.reports"),
    "recommendations": _module_app("cli.recommendations"),
    "config": _module_app("cli.config"),
    "switches": _module_app("cli.switches", "switches_app"),
}

# Single commands living in modules of their own, loaded the same way.
COMMANDS = {"simulate": ("cli.simulate", "simulate_command")}


class LazyGroups(TyperGroup):
    """The top-level command: a group's module is imported only when that group runs (or when
    `--help` lists it), so `journeyctl worker` pays for none of them."""

    def list_commands(self, ctx: Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *GROUPS, *COMMANDS})

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name in GROUPS:
            group = typer.main.get_group(GROUPS[cmd_name]())
            group.name = cmd_name
            return group
        if cmd_name in COMMANDS:
            module, function = COMMANDS[cmd_name]
            single = typer.Typer()
            single.command(cmd_name)(getattr(import_module(module), function))
            return typer.main.get_command(single)
        return super().get_command(ctx, cmd_name)


app = typer.Typer(
    cls=LazyGroups, help="Durable customer journeys on Temporal.", no_args_is_help=True
)


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
    from telemetry.tracing import configure_tracing
    from temporal_client import exit_after_shutdown

    settings = load_settings("api")
    configure_logging(settings)
    tracing = configure_tracing(settings.telemetry, "api")
    application = create_app(settings, tracer_provider=tracing)
    uvicorn.run(application, host=host, port=port, log_config=None, access_log=False)
    if tracing is not None:
        tracing.shutdown()  # flushes the spans still batched
    exit_after_shutdown()


@app.command()
def worker() -> None:
    """Run a journey worker (run `migrate` first)."""
    from temporal_client import exit_after_shutdown
    from workers.main import run_worker

    asyncio.run(run_worker(load_settings("worker")))
    exit_after_shutdown()


@app.command()
def migrate() -> None:
    """Bring the database schema to the newest revision."""
    from storage.database import migrate as run_migrations

    settings = load_settings("migrate")
    asyncio.run(run_migrations(settings.resolved_database_url, settings.keyring()))
    typer.echo("database at the newest revision")


@app.command("fast-forward")
def fast_forward_command(
    workflow_id: str = typer.Argument(..., help="e.g. cart_abandonment:c-1"),
    duration: str = typer.Argument(..., help="how far to move the journey's clock: 30m, 4h, 1d"),
) -> None:
    """Move one running journey's clock forward (needs a server with time skipping enabled)."""
    from temporalio.client import Client

    from models.durations import parse_duration
    from ops.audit import audited_command
    from ops.time_travel import FastForwardFailed, fast_forward
    from temporal_client import run_with_client

    try:
        delta = parse_duration(duration)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="DURATION") from err

    settings = Settings()

    async def forward(client: Client) -> datetime:
        async with audited_command(settings, "journey.fast_forward", workflow_id) as audit:
            audit.detail = {"by": duration}
            return await fast_forward(client, workflow_id, delta)

    try:
        reached = run_with_client(settings, forward)
    except FastForwardFailed as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    typer.echo(f"{workflow_id}: clock now {reached.isoformat()}")
