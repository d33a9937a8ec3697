"""The worker's two workflow runners (workers/build.py::workflow_runner): the strict sandbox, as
the tests run the journeys, refuses a non-deterministic call in workflow code; production's
unsandboxed runner does not."""

from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.conftest import eventually, unique
from tests.fakes.wall_clock_workflow import ReadsTheWallClock
from workers.build import workflow_runner


async def run_under(env: WorkflowEnvironment, strict: bool) -> tuple[str | None, list[str]]:
    """The workflow's result (None if it did not complete) and its failed tasks' messages."""
    queue = unique("sandbox")
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[ReadsTheWallClock],
        workflow_runner=workflow_runner(strict=strict),
    ):
        handle = await env.client.start_workflow(
            ReadsTheWallClock.run, id=unique("wall-clock"), task_queue=queue
        )

        async def settled() -> tuple[str | None, list[str]] | None:
            events = [event async for event in handle.fetch_history_events()]
            # Failure messages are encrypted with the payloads (temporal_client.py).
            failures = [
                str(
                    await env.client.data_converter.decode_failure(
                        e.workflow_task_failed_event_attributes.failure
                    )
                )
                for e in events
                if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
            ]
            completed = [
                e
                for e in events
                if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
            ]
            if completed:
                return await handle.result(), failures
            return (None, failures) if failures else None

        outcome = await eventually(settled)
        if outcome[0] is None:
            await handle.terminate("test over")
        return outcome


async def test_the_strict_sandbox_fails_a_run_that_reads_the_wall_clock(
    temporal_env: WorkflowEnvironment,
) -> None:
    result, failures = await run_under(temporal_env, strict=True)
    assert result is None
    assert failures and "datetime.datetime.now" in failures[0]


async def test_the_production_runner_lets_the_call_through(
    temporal_env: WorkflowEnvironment,
) -> None:
    result, failures = await run_under(temporal_env, strict=False)
    assert result is not None and failures == []
