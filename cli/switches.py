"""`journeyctl switches pause|resume|list` (docs/alerts.md): each change audited."""

import asyncio
import json

import typer

from ops.switches import UnknownSwitch, change_switch, show_switches
from settings import Settings
from storage.switches import switch_id

switches_app = typer.Typer(
    help="Pause and resume a journey's or a channel's sends (held while paused).",
    no_args_is_help=True,
)


def _run(kind: str, name: str, paused: bool, reason: str) -> None:
    try:
        asyncio.run(change_switch(Settings(), kind, name, paused, reason))
    except UnknownSwitch as err:
        raise typer.BadParameter(str(err), param_hint=err.field) from err
    typer.echo(f"{'paused' if paused else 'resumed'} {switch_id(kind, name)}")


@switches_app.command("pause")
def pause(
    kind: str = typer.Argument(..., help="journey or channel"),
    name: str = typer.Argument(..., help="the journey's kind (welcome, ...) or the channel"),
    reason: str = typer.Option("", help="why, for the console and the audit log"),
) -> None:
    """Hold every send of a journey, or on a channel, until resumed."""
    _run(kind, name, True, reason)


@switches_app.command("resume")
def resume(
    kind: str = typer.Argument(..., help="journey or channel"),
    name: str = typer.Argument(...),
    reason: str = typer.Option("", help="why, for the audit log"),
) -> None:
    """Let the held sends go (each at its next recheck, within minutes)."""
    _run(kind, name, False, reason)


@switches_app.command("list")
def list_command() -> None:
    """Every switch set, as JSON."""
    typer.echo(json.dumps(asyncio.run(show_switches(Settings())), indent=2))
