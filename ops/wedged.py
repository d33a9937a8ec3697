"""Wedged journeys: running, but every workflow task fails, so the journey does nothing at all.

A workflow task fails when the worker cannot decode a payload (an event it cannot read) or the
code no longer replays the history (a non-deterministic change): Temporal retries the task for
ever, the run stays "Running", and nothing else says so. docs/wedged-journeys.md tells how to
repair or end them.

Finding them: a Temporal server of 1.29 or later marks a run whose workflow task failed twice
in a row with the search attribute `TemporalReportedProblems` (and clears it once a task
succeeds), when the dynamic config `system.numConsecutiveWorkflowTaskProblemsToTriggerSearch
Attribute` is set (the dev stack and the tests set 2). One visibility query then lists them. On
older servers `scan=True` describes every running journey instead (one call per journey).
"""

from dataclasses import dataclass
from datetime import datetime

from temporalio.api.common.v1 import WorkflowExecution as ExecutionRef
from temporalio.api.enums.v1 import EventType, ResetReapplyExcludeType, WorkflowTaskFailedCause
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import Client, WorkflowExecutionDescription

from ops.queries import journey_types_clause

RUNNING_JOURNEYS = f"{journey_types_clause()} AND ExecutionStatus = 'Running'"
FLAGGED = f"{RUNNING_JOURNEYS} AND TemporalReportedProblems IS NOT NULL"
# A task that failed this often in a row is not a blip (Temporal's own mark uses 2).
WEDGED_AFTER_ATTEMPTS = 2


@dataclass(frozen=True)
class WedgedRun:
    workflow_id: str
    run_id: str
    workflow_type: str
    attempts: int  # of the failing workflow task
    failing_since: datetime | None  # the first failure of this streak
    cause: str  # e.g. WorkflowWorkerUnhandledFailure, NonDeterministicError
    error: str  # the first line of the failure, e.g. "Failed decoding arguments"
    reset_point: int | None  # the last workflow task completed before the failures


async def count_flagged(client: Client) -> int:
    """How many journeys Temporal has marked with workflow task problems (one cheap call)."""
    return (await client.count_workflows(FLAGGED)).count


async def find_wedged(client: Client, *, scan: bool = False, limit: int = 200) -> list[WedgedRun]:
    """The wedged journeys, each with why its tasks fail and where a reset could go back to."""
    query = RUNNING_JOURNEYS if scan else FLAGGED
    found = []
    async for execution in client.list_workflows(query, limit=limit):
        handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
        description = await handle.describe()
        run = await _wedged(client, description)
        if run is not None:
            found.append(run)
    return found


async def _wedged(client: Client, description: WorkflowExecutionDescription) -> WedgedRun | None:
    pending = description.raw_description.pending_workflow_task
    if pending.attempt < WEDGED_AFTER_ATTEMPTS:
        return None
    handle = client.get_workflow_handle(description.id, run_id=description.run_id)
    events = [event async for event in handle.fetch_history_events()]
    failures = [e for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]
    if not failures:
        return None
    last = failures[-1].workflow_task_failed_event_attributes
    first_of_streak = _streak_start(events)
    return WedgedRun(
        workflow_id=description.id,
        run_id=description.run_id,
        workflow_type=description.workflow_type,
        attempts=pending.attempt,
        failing_since=first_of_streak.event_time.ToDatetime() if first_of_streak else None,
        cause=_cause_name(last.cause),
        error=_first_line(await client.data_converter.decode_failure(last.failure)),
        reset_point=_last_completed_task(events),
    )


def _first_line(failure: BaseException) -> str:
    """The failure's message as the worker wrote it (decoded: with payload encryption on, the
    history holds only "Encoded failure")."""
    return (str(failure).splitlines() or [""])[0][:300]


def _streak_start(events: list[HistoryEvent]) -> HistoryEvent | None:
    """The first WorkflowTaskFailed after the last completed workflow task."""
    completed = _last_completed_task(events) or 0
    return next(
        (
            e
            for e in events
            if e.event_id > completed and e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
        ),
        None,
    )


def _last_completed_task(events: list[HistoryEvent]) -> int | None:
    completed = [
        e.event_id for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    ]
    return completed[-1] if completed else None


def _cause_name(cause: int) -> str:
    name = WorkflowTaskFailedCause.Name(WorkflowTaskFailedCause.ValueType(cause))
    words = name.removeprefix("WORKFLOW_TASK_FAILED_CAUSE_").split("_")
    return "".join(word.capitalize() for word in words)


async def terminate(client: Client, run: WedgedRun, reason: str) -> None:
    """End the run for good: the customer's next trigger event starts a fresh journey."""
    handle = client.get_workflow_handle(run.workflow_id, run_id=run.run_id)
    await handle.terminate(reason=f"wedged journey: {reason}")


async def reset(client: Client, run: WedgedRun, *, drop_signals: bool) -> str:
    """A new run that keeps the history up to the last completed workflow task and runs the
    rest under the current code. Signals received after that point are applied again, unless
    `drop_signals` (the way past an event the worker cannot read: the events stay in our event
    store, and a later one of the same kind reaches the new run as usual)."""
    if run.reset_point is None:
        raise ValueError("no workflow task ever completed: terminate it instead")
    exclude = [ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL] if drop_signals else []
    response = await client.workflow_service.reset_workflow_execution(
        ResetWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=ExecutionRef(workflow_id=run.workflow_id, run_id=run.run_id),
            reason="journeyctl ops wedged --reset",
            workflow_task_finish_event_id=run.reset_point,
            request_id=f"wedged-reset:{run.run_id}:{run.reset_point}",
            reset_reapply_exclude_types=exclude,
        )
    )
    return response.run_id
