"""`journeyctl customers ...`: data-subject requests (export, erase) and contact-key rotation.

Erase removes the customer from our database (storage/data_subject.py) and from Temporal: their
running journeys are terminated and every run of theirs is deleted from Temporal's history
store, so no encrypted copy of their journeys outlives the request either. Each command is
audited.
"""

import asyncio
import json
from pathlib import Path
from typing import Any

import typer
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import Client, WorkflowExecutionStatus

from ops.audit import audited_command
from ops.queries import literal
from settings import Settings
from storage.contacts import rekey_contacts
from storage.data_subject import erase_customer, export_customer
from storage.database import create_engine, session_factory
from temporal_client import run_with_client

customers_app = typer.Typer(
    help="Data-subject requests for one customer, and re-encrypting contact details.",
    no_args_is_help=True,
)


async def customer_runs(client: Client, customer_id: str) -> list[dict[str, Any]]:
    return [
        {
            "workflow_id": run.id,
            "run_id": run.run_id,
            "type": run.workflow_type,
            "status": run.status.name.lower() if run.status else "unknown",
            "started_at": run.start_time.isoformat(),
        }
        async for run in client.list_workflows(f"CustomerId = {literal(customer_id)}")
    ]


async def forget_in_temporal(client: Client, customer_id: str) -> int:
    """Terminate the customer's running journeys and delete every run of theirs."""
    runs = [run async for run in client.list_workflows(f"CustomerId = {literal(customer_id)}")]
    for run in runs:
        if run.status == WorkflowExecutionStatus.RUNNING:
            await client.get_workflow_handle(run.id, run_id=run.run_id).terminate(
                "data-subject erasure"
            )
        await client.workflow_service.delete_workflow_execution(
            DeleteWorkflowExecutionRequest(
                namespace=client.namespace,
                workflow_execution=WorkflowExecution(workflow_id=run.id, run_id=run.run_id),
            )
        )
    return len(runs)


@customers_app.command("export")
def export_command(
    customer_id: str = typer.Argument(..., help="the customer's id"),
    output: str | None = typer.Option(None, "--output", "-o", help="a file (default: stdout)"),
) -> None:
    """Everything held about one customer, as JSON: profile with contact details, consent,
    events, messages and their delivery, outbox, receipts, journey entries, Temporal runs."""

    settings = Settings()

    async def run(client: Client) -> dict[str, Any] | None:
        async with audited_command(settings, "customer.export", customer_id) as audit:
            engine = create_engine(settings.resolved_database_url, settings.keyring())
            try:
                async with session_factory(engine)() as session:
                    found = await export_customer(session, customer_id)
            finally:
                await engine.dispose()
            if found is None:
                audit.outcome = "unknown customer"
                return None
            found["journeys"] = await customer_runs(client, customer_id)
            return found

    found = run_with_client(settings, run)
    if found is None:
        typer.echo(f"no customer {customer_id}", err=True)
        raise typer.Exit(1)
    text = json.dumps(found, indent=2, default=str, ensure_ascii=False)
    if output is None:
        typer.echo(text)
    else:
        Path(output).write_text(text + "\n")
        typer.echo(f"wrote {output}", err=True)


@customers_app.command("erase")
def erase_command(
    customer_id: str = typer.Argument(..., help="the customer's id"),
    yes: bool = typer.Option(False, "--yes", "-y", help="do not ask for confirmation"),
) -> None:
    """Erase one customer: their journeys in Temporal (terminated, then deleted) and every row
    about them in our database. Cannot be undone."""
    if not yes and not typer.confirm(f"erase everything about {customer_id}?"):
        raise typer.Exit(1)

    settings = Settings()

    async def run(client: Client) -> dict[str, int]:
        async with audited_command(settings, "customer.erase", customer_id) as audit:
            runs = await forget_in_temporal(client, customer_id)
            engine = create_engine(settings.resolved_database_url, settings.keyring())
            try:
                counts = await erase_customer(session_factory(engine), customer_id)
            finally:
                await engine.dispose()
            counts["temporal_runs"] = runs
            audit.detail = counts
            return counts

    counts = run_with_client(settings, run)
    typer.echo(", ".join(f"{table} {n}" for table, n in counts.items() if n) or "nothing held")


@customers_app.command("rekey")
def rekey_command() -> None:
    """Re-encrypt every customer's contact details under ENCRYPTION__ACTIVE_KEY and recompute
    the lookup hashes; run after rotating a key, before retiring the old one."""

    async def run() -> int:
        settings = Settings()
        async with audited_command(settings, "customers.rekey", None) as audit:
            engine = create_engine(settings.resolved_database_url, settings.keyring())
            try:
                done = await rekey_contacts(session_factory(engine))
            finally:
                await engine.dispose()
            audit.detail = {"customers": done}
            return done

    typer.echo(f"{asyncio.run(run())} customers re-encrypted")
