"""`journeyctl ops ...`: replay, retry, export histories, customer timelines, search attributes,
the open runs per interpreter patch."""

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from temporalio.client import Client

from models.durations import parse_duration
from ops.audit import cli_actor
from ops.history_export import HISTORIES, export_history
from ops.patches import patch_census
from ops.queries import started_since
from ops.replay import ReplayOutcome, replay_matching, replay_run
from ops.retry import Action, RetryResult, carry_out, find_failed, plan_retry
from ops.search_attributes import connect_when_ready, register_search_attributes
from ops.timeline import customer_timeline
from ops.wedged import WedgedRun, find_wedged, reset, terminate
from settings import Settings
from storage.active_journeys import claim_restarts
from storage.audit import audited
from storage.database import create_engine, session_factory
from temporal_client import run_with_client
from terminal.output import progress, render_table

ops_app = typer.Typer(
    help="Operate journeys: replay and retry runs, export histories, customer timelines.",
    no_args_is_help=True,
)


def _duration(text: str, option: str) -> datetime:
    """`24h` → the moment 24 hours ago."""
    try:
        return datetime.now(UTC) - parse_duration(text)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint=option) from err


@ops_app.command()
def replay(
    workflow_id: str | None = typer.Argument(None, help="one journey, e.g. cart_abandonment:c-1"),
    run_id: str | None = typer.Option(None, help="a run of WORKFLOW_ID other than its latest"),
    query: str | None = typer.Option(
        None, help="bulk: a visibility query, e.g. \"JourneyKind = 'cart_abandonment'\""
    ),
    since: str | None = typer.Option(
        None, help="bulk: every journey run started within this long, e.g. 24h or 7d"
    ),
    limit: int | None = typer.Option(None, min=1, help="bulk: at most this many runs"),
) -> None:
    """Replay runs' histories against the current workflow code (before a deploy, after a
    failure). Prints whether each is deterministic or where it first diverged; exits 1 if any
    run does not replay."""
    if sum(x is not None for x in (workflow_id, query, since)) != 1:
        raise typer.BadParameter("give exactly one of WORKFLOW_ID, --query or --since")
    if workflow_id is not None:
        outcome = run_with_client(
            Settings(), lambda client: replay_run(client, workflow_id, run_id)
        )
        if outcome.deterministic:
            typer.echo(f"deterministic: {outcome.workflow_id} run {outcome.run_id}")
            return
        typer.echo(f"NOT deterministic: {outcome.workflow_id} run {outcome.run_id}")
        typer.echo(f"first divergence: {outcome.failure}")
        raise typer.Exit(1)
    visibility = query if query is not None else started_since(_duration(since or "", "--since"))
    typer.echo(f"replaying runs matching: {visibility}")
    outcomes = run_with_client(Settings(), lambda client: _replay_bulk(client, visibility, limit))
    failed = [o for o in outcomes if not o.deterministic]
    typer.echo(
        f"\n{len(outcomes)} runs replayed: {len(outcomes) - len(failed)} deterministic, "
        f"{len(failed)} failed"
    )
    by_type = sorted({o.workflow_type for o in outcomes})
    summary = [
        [
            name,
            str(sum(o.workflow_type == name for o in outcomes)),
            str(sum(o.workflow_type == name and not o.deterministic for o in outcomes)),
        ]
        for name in by_type
    ]
    if summary:
        typer.echo(render_table(["workflow type", "runs", "failed"], summary) + "\n")
    if failed:
        rows = [[o.workflow_id, o.run_id, o.workflow_type, o.failure or ""] for o in failed]
        typer.echo(render_table(["workflow id", "run id", "type", "first divergence"], rows))
        raise typer.Exit(1)


async def _replay_bulk(client: Client, query: str, limit: int | None) -> list[ReplayOutcome]:
    with progress("replaying", limit, every=20, unit="histories") as advance:

        def replayed(outcome: ReplayOutcome) -> None:
            advance(1)
            if not outcome.deterministic:
                typer.echo(f"FAIL {outcome.workflow_id} run {outcome.run_id}")

        return await replay_matching(client, query, limit=limit, on_outcome=replayed)


@ops_app.command("retry-failed")
def retry_failed(
    journey: str = typer.Option(..., help="journey kind, e.g. cart_abandonment"),
    since: str = typer.Option(..., help="runs that failed or timed out within this long: 24h"),
    dry_run: bool = typer.Option(False, "--dry-run", help="show the plan, change nothing"),
    yes: bool = typer.Option(False, "--yes", "-y", help="do not ask for confirmation"),
) -> None:
    """Reset failed or timed-out journeys to their last good point, or restart them with their
    original input and signals when a reset cannot help. Safe to run twice: retried runs are
    skipped."""
    since_at = _duration(since, "--since")
    results = run_with_client(
        Settings(), lambda client: _retry(client, journey, since_at, dry_run, yes)
    )
    if any(result.error for result in results):
        raise typer.Exit(1)


async def _retry(
    client: Client, journey: str, since: datetime, dry_run: bool, yes: bool
) -> list[RetryResult]:
    failed = await find_failed(client, journey, since)
    typer.echo(f"{len(failed)} failed or timed-out {journey} journeys since {since:%F %T} UTC")
    plans = []
    with progress("planning", len(failed), every=20, unit="journeys") as advance:
        for execution in failed:
            plans.append(await plan_retry(client, execution))
            advance(1)
    to_do = [plan for plan in plans if plan.action != Action.SKIP]
    rows = [[p.workflow_id, p.status, p.action, p.reason] for p in plans]
    if rows:
        typer.echo(render_table(["workflow id", "status", "action", "why"], rows))
    if dry_run or not to_do:
        typer.echo("dry run: nothing changed" if dry_run else "nothing to retry")
        return [RetryResult(plan, None) for plan in plans]
    if not yes and not typer.confirm(f"retry {len(to_do)} journeys?"):
        typer.echo("nothing changed")
        raise typer.Exit(1)
    # The journeys come back to life: the API must know them again before they do.
    settings = Settings()
    engine = create_engine(settings.resolved_database_url, settings.keyring())
    sessions = session_factory(engine)
    await claim_restarts(sessions, [plan.workflow_id for plan in to_do], datetime.now(UTC))
    results = []
    try:
        for position, plan in enumerate(to_do, 1):
            async with audited(
                sessions, cli_actor(), f"journey.{plan.action}", plan.workflow_id
            ) as audit:
                result = await carry_out(client, plan)
                outcome = f"new run {result.new_run_id}" if result.error is None else result.error
                audit.outcome = "ok" if result.error is None else f"failed: {result.error}"
                audit.detail = {"reason": plan.reason, "new_run_id": result.new_run_id}
            results.append(result)
            typer.echo(f"  [{position}/{len(to_do)}] {plan.action} {plan.workflow_id}: {outcome}")
    finally:
        await engine.dispose()
    done = sum(1 for result in results if result.error is None)
    typer.echo(
        f"report: {done} retried ({sum(r.plan.action == Action.RESET for r in results)} reset, "
        f"{sum(r.plan.action == Action.RESTART for r in results)} restarted), "
        f"{len(results) - done} errors, {len(plans) - len(to_do)} skipped"
    )
    return results


@ops_app.command("export-history")
def export_history_command(
    workflow_id: str = typer.Argument(..., help="e.g. cart_abandonment:c-1"),
    run_id: str | None = typer.Option(None, help="a run other than the latest"),
    name: str | None = typer.Option(None, help="file name without .json (default: kind_runid)"),
    directory: str | None = typer.Option(
        None, "--dir", help="where the replay corpus lives (default: tests/histories)"
    ),
    overwrite: bool = typer.Option(False, help="replace an existing file of that name"),
) -> None:
    """Write a run's history as JSON into the replay corpus (tests/histories/ by default);
    tests/test_replay.py then replays it against every future change. Check the file for
    personal data before committing it."""

    async def run(client: Client) -> Path:
        return await export_history(
            client,
            workflow_id,
            run_id=run_id,
            name=name,
            directory=Path(directory) if directory else HISTORIES,
            overwrite=overwrite,
        )

    try:
        path = run_with_client(Settings(), run)
    except FileExistsError as err:
        raise typer.BadParameter(str(err), param_hint="--name") from err
    typer.echo(f"wrote {path}")


@ops_app.command()
def timeline(
    customer_id: str = typer.Argument(..., help="the customer's id"),
    as_json: bool = typer.Option(False, "--json", help="the API's JSON instead of lines"),
) -> None:
    """A customer's events, journeys, steps and message decisions, in time order."""

    settings = Settings()

    async def run(client: Client) -> str:
        engine = create_engine(settings.resolved_database_url, settings.keyring())
        try:
            found = await customer_timeline(client, session_factory(engine), customer_id)
        finally:
            await engine.dispose()
        if as_json:
            return json.dumps(found.model_dump(mode="json"), indent=2)
        rows = [
            [f"{e.at.astimezone(UTC):%F %T}", e.kind, e.workflow_id or "", e.summary]
            for e in found.entries
        ]
        return (
            render_table(["at (UTC)", "what", "journey", "detail"], rows) if rows else "nothing yet"
        )

    typer.echo(run_with_client(settings, run))


@ops_app.command("register-search-attributes")
def register_search_attributes_command(
    wait: float = typer.Option(60, help="seconds to wait for Temporal to come up"),
) -> None:
    """Register CustomerId, JourneyKind, JourneyStep and the others journeys set on the
    namespace (TEMPORAL_NAMESPACE); those already there are left alone."""

    async def run() -> list[str]:
        settings = Settings()
        client = await connect_when_ready(settings, wait)
        return await register_search_attributes(client, client.namespace)

    added = asyncio.run(run())
    typer.echo(f"added: {', '.join(added)}" if added else "all search attributes were registered")


@ops_app.command()
def patches(
    where: str | None = typer.Option(
        None, help="only runs matching this visibility clause, e.g. \"JourneyKind = 'winback'\""
    ),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table"),
) -> None:
    """Count the open journey runs per recorded interpreter patch, and those lacking each: a
    patch's old branch may be removed once none lacks it (docs/patches.md)."""

    total, census = run_with_client(Settings(), lambda client: patch_census(client, where))
    if as_json:
        rows = [
            {
                "patch": c.patch,
                "recorded": c.recorded,
                "lacking": c.lacking,
                "old_branch_may_go": c.old_branch_may_go,
            }
            for c in census
        ]
        typer.echo(json.dumps({"open_runs": total, "patches": rows}))
        return
    typer.echo(f"{total} open journey runs")
    table = [
        [c.patch, str(c.recorded), str(c.lacking), "may go" if c.old_branch_may_go else "keep"]
        for c in census
    ]
    typer.echo(render_table(["patch", "recorded", "lacking", "old branch"], table))


@ops_app.command()
def wedged(
    scan: bool = typer.Option(
        False, help="describe every running journey (servers without TemporalReportedProblems)"
    ),
    terminate_runs: bool = typer.Option(
        False, "--terminate", help="end the listed runs (their next trigger starts afresh)"
    ),
    reset_runs: bool = typer.Option(
        False, "--reset", help="reset each listed run to its last completed workflow task"
    ),
    drop_signals: bool = typer.Option(
        False, help="with --reset: leave out the signals received after that point"
    ),
    workflow_id: Annotated[
        list[str] | None,
        typer.Option("--workflow-id", help="act on these runs only (repeatable)"),
    ] = None,
    yes: bool = typer.Option(False, "--yes", "-y", help="do not ask for confirmation"),
) -> None:
    """List journeys whose every workflow task fails (an event the worker cannot decode, a
    non-determinism error), with the cause; then terminate or reset them. Exits 1 while any
    listed run is left wedged. See docs/wedged-journeys.md."""
    if terminate_runs and reset_runs:
        raise typer.BadParameter("give --terminate or --reset, not both")
    if drop_signals and not reset_runs:
        raise typer.BadParameter("--drop-signals goes with --reset")

    async def run(client: Client) -> int:
        typer.echo("looking for wedged journeys" + (" (describing every one)" if scan else ""))
        runs = await find_wedged(client, scan=scan)
        if workflow_id:
            runs = [r for r in runs if r.workflow_id in workflow_id]
        if not runs:
            typer.echo("no wedged journeys")
            return 0
        rows = [[r.workflow_id, str(r.attempts), _since(r), r.cause, r.error[:80]] for r in runs]
        typer.echo(
            render_table(["workflow id", "attempts", "failing since", "cause", "error"], rows)
        )
        if not (terminate_runs or reset_runs):
            return len(runs)
        verb = "terminate" if terminate_runs else "reset"
        if not yes and not typer.confirm(f"{verb} {len(runs)} journeys?"):
            typer.echo("nothing changed")
            return len(runs)
        left = 0
        settings = Settings()
        engine = create_engine(settings.resolved_database_url, settings.keyring())
        sessions = session_factory(engine)
        try:
            for position, wedged_run in enumerate(runs, 1):
                # Audited as the console's repair is (journey.wedged.<verb>, cause, new run).
                async with audited(
                    sessions, cli_actor(), f"journey.wedged.{verb}", wedged_run.workflow_id
                ) as audit:
                    audit.detail = {"cause": wedged_run.cause}
                    try:
                        if terminate_runs:
                            await terminate(client, wedged_run, "journeyctl ops wedged --terminate")
                            outcome = "terminated"
                        else:
                            new_run = await reset(client, wedged_run, drop_signals=drop_signals)
                            audit.detail["new_run_id"] = new_run
                            outcome = f"new run {new_run}"
                    # One run's error must not stop the others.
                    except Exception as err:  # noqa: BLE001
                        left += 1
                        outcome = f"{type(err).__name__}: {err}"
                        audit.outcome = f"failed: {outcome}"
                typer.echo(f"  [{position}/{len(runs)}] {verb} {wedged_run.workflow_id}: {outcome}")
        finally:
            await engine.dispose()
        return left

    if run_with_client(Settings(), run):
        raise typer.Exit(1)


def _since(run: WedgedRun) -> str:
    return f"{run.failing_since:%F %T}" if run.failing_since else "?"
