"""Retrying failed or timed-out journeys: reset to the last good point, or restart.

A *reset* makes a new run of the same workflow id that keeps the history up to a completed
workflow task and runs the rest again under the current code (signals received later are
re-applied). The last good point is the workflow task that scheduled the activity the journey
failed on, so that activity runs again; for any other failure it is the last workflow task
completed before the failure, so the failing code runs again.

A reset cannot help a run that never completed a workflow task (nothing to keep) or that timed
out (a reset run keeps the execution's deadline, which has passed); such a run is *restarted*:
a new run with the same type, id, task queue, input, search attributes and memo, started with
the first signal it had received and sent the others in order, without its timeouts.

Safe to run twice: a failed run that is no longer the newest run of its workflow id has been
retried (or superseded) and is skipped, and a reset's request id is derived from the failed run,
so the server does not reset the same run twice.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from temporalio.api.common.v1 import WorkflowExecution as ExecutionRef
from temporalio.api.enums.v1 import EventType
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus, WorkflowHistory
from temporalio.common import RawValue
from temporalio.converter import decode_typed_search_attributes

from ops.queries import journey_types_clause, literal, timestamp

RETRYABLE = (WorkflowExecutionStatus.FAILED, WorkflowExecutionStatus.TIMED_OUT)
_CLOSING = (
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
)


class Action(StrEnum):
    RESET = "reset"
    RESTART = "restart"
    SKIP = "skip"


@dataclass(frozen=True)
class RetryPlan:
    workflow_id: str
    run_id: str
    status: str
    action: Action
    reason: str
    reset_to_event_id: int | None = None


@dataclass(frozen=True)
class RetryResult:
    plan: RetryPlan
    new_run_id: str | None
    error: str | None = None


def failed_journeys_query(journey: str | None, since: datetime) -> str:
    """One journey's failed runs, or every journey's (None: the console lists them all)."""
    which = f"JourneyKind = {literal(journey)}" if journey else journey_types_clause()
    return (
        f"{which} AND (ExecutionStatus = 'Failed' OR ExecutionStatus = 'TimedOut')"
        f" AND CloseTime >= {timestamp(since)}"
    )


async def find_failed(
    client: Client, journey: str | None, since: datetime
) -> list[WorkflowExecution]:
    """The newest failed or timed-out run of each workflow id closed since `since`."""
    newest: dict[str, WorkflowExecution] = {}
    async for execution in client.list_workflows(failed_journeys_query(journey, since)):
        kept = newest.get(execution.id)
        if kept is None or execution.start_time > kept.start_time:
            newest[execution.id] = execution
    return sorted(newest.values(), key=lambda e: (e.close_time or e.start_time, e.id))


def _activity_failure(failure: Failure) -> int | None:
    """The scheduled-event id of the activity whose failure failed the run, if one did."""
    while failure.ByteSize():
        if failure.HasField("activity_failure_info"):
            return failure.activity_failure_info.scheduled_event_id
        failure = failure.cause
    return None


def reset_point(events: list[HistoryEvent]) -> tuple[int | None, str]:
    """The workflow-task-completed event to reset to, and why (None: a reset cannot help)."""
    closing = next((e for e in reversed(events) if e.event_type in _CLOSING), None)
    if closing is None:
        return None, "the run has not failed"
    if closing.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
        return None, "timed out: a reset run would keep the expired deadline"
    scheduled_id = _activity_failure(closing.workflow_execution_failed_event_attributes.failure)
    if scheduled_id:
        by_id = {e.event_id: e for e in events}
        scheduled = by_id.get(scheduled_id)
        if scheduled is not None:
            attributes = scheduled.activity_task_scheduled_event_attributes
            activity = attributes.activity_type.name
            return (
                attributes.workflow_task_completed_event_id,
                f"activity {activity} failed: run it again",
            )
    completed = [
        e.event_id
        for e in events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        and e.event_id < closing.event_id
    ]
    if not completed:
        return None, "no workflow task ever completed: nothing to keep"
    return completed[-1], "workflow failed: run its last workflow task again"


async def plan_retry(client: Client, execution: WorkflowExecution) -> RetryPlan:
    status = execution.status.name.lower() if execution.status else "unknown"

    def plan(action: Action, reason: str, reset_to: int | None = None) -> RetryPlan:
        return RetryPlan(
            workflow_id=execution.id,
            run_id=execution.run_id,
            status=status,
            action=action,
            reason=reason,
            reset_to_event_id=reset_to,
        )

    latest = await client.get_workflow_handle(execution.id).describe()
    if latest.run_id != execution.run_id:
        newer = latest.status.name.lower() if latest.status else "unknown"
        return plan(Action.SKIP, f"already retried: run {latest.run_id} ({newer})")
    failed_run = client.get_workflow_handle(execution.id, run_id=execution.run_id)
    event_id, reason = reset_point(list((await failed_run.fetch_history()).events))
    if event_id is None:
        return plan(Action.RESTART, reason)
    return plan(Action.RESET, reason, event_id)


async def reset(client: Client, plan: RetryPlan) -> str:
    if plan.reset_to_event_id is None:
        raise ValueError(f"{plan.workflow_id}: a reset needs the event to reset to")
    response = await client.workflow_service.reset_workflow_execution(
        ResetWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=ExecutionRef(workflow_id=plan.workflow_id, run_id=plan.run_id),
            reason=f"journeyctl ops retry-failed: {plan.reason}",
            workflow_task_finish_event_id=plan.reset_to_event_id,
            request_id=f"retry-failed:{plan.run_id}:{plan.reset_to_event_id}",
        )
    )
    return response.run_id


async def restart(client: Client, history: WorkflowHistory) -> str:
    """A new run with the failed run's start parameters and signals, but no timeouts."""
    started = history.events[0].workflow_execution_started_event_attributes
    signals = [
        e.workflow_execution_signaled_event_attributes
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
    ]
    first, rest = (signals[0], signals[1:]) if signals else (None, [])
    handle = await client.start_workflow(
        started.workflow_type.name,
        args=[RawValue(payload) for payload in started.input.payloads],
        id=history.workflow_id,
        task_queue=started.task_queue.name,
        search_attributes=decode_typed_search_attributes(started.search_attributes),
        memo={key: RawValue(value) for key, value in started.memo.fields.items()},
        start_signal=first.signal_name if first else None,
        start_signal_args=[RawValue(p) for p in first.input.payloads] if first else [],
    )
    for signal in rest:
        await handle.signal(signal.signal_name, args=[RawValue(p) for p in signal.input.payloads])
    return handle.result_run_id or ""


async def carry_out(client: Client, plan: RetryPlan) -> RetryResult:
    """Reset or restart one planned run; errors are reported, not raised, so a batch goes on."""
    try:
        if plan.action == Action.RESET:
            return RetryResult(plan, await reset(client, plan))
        if plan.action == Action.RESTART:
            handle = client.get_workflow_handle(plan.workflow_id, run_id=plan.run_id)
            return RetryResult(plan, await restart(client, await handle.fetch_history()))
    except Exception as err:  # noqa: BLE001 - one journey's error must not stop the others
        return RetryResult(plan, None, f"{type(err).__name__}: {err}")
    return RetryResult(plan, None)
