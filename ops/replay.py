"""Replaying recorded runs against the current workflow code, before a deploy or after a failure.

A run that replays is deterministic under the code in this checkout; one that does not would
fail its next workflow task in production with a non-determinism error, and the replay says
where it diverged.
"""

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.worker import Replayer, WorkflowReplayResult

from workflows.journey import JourneyWorkflow

# Core reports a divergence inside a longer activation-failure message; this is its own text.
_DIVERGENCE = re.compile(r"(\[TMPRL\d+\] )?Nondeterminism error: ?(?P<what>.*?)(\"|\s*\}|$)", re.S)


@dataclass(frozen=True)
class ReplayOutcome:
    workflow_id: str
    run_id: str
    workflow_type: str
    failure: str | None  # None: deterministic; else the first divergence or error

    @property
    def deterministic(self) -> bool:
        return self.failure is None


def journey_replayer(converter: DataConverter = pydantic_data_converter) -> Replayer:
    """The current journey workflows with the same converter as the API and the worker
    (temporal_client.data_converter: with the codec, histories recorded before it still
    replay, their payloads passing through)."""
    return Replayer(workflows=[JourneyWorkflow], data_converter=converter)


def describe_failure(error: Exception) -> str:
    text = str(error)
    match = _DIVERGENCE.search(text)
    if match:
        return "nondeterminism: " + match.group("what").strip().replace("\\n", " ")
    return f"{type(error).__name__}: {text}"


def _outcome(result: WorkflowReplayResult) -> ReplayOutcome:
    history = result.history
    started = history.events[0].workflow_execution_started_event_attributes
    return ReplayOutcome(
        workflow_id=history.workflow_id,
        run_id=history.run_id,
        workflow_type=started.workflow_type.name,
        failure=describe_failure(result.replay_failure) if result.replay_failure else None,
    )


async def replay_history(
    history: WorkflowHistory, converter: DataConverter = pydantic_data_converter
) -> ReplayOutcome:
    replayer = journey_replayer(converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    return _outcome(result)


async def replay_run(client: Client, workflow_id: str, run_id: str | None = None) -> ReplayOutcome:
    """Fetch one run's history from the server (the latest run by default) and replay it."""
    history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    return await replay_history(history, client.data_converter)


async def replay_matching(
    client: Client,
    query: str,
    *,
    limit: int | None = None,
    on_outcome: Callable[[ReplayOutcome], None] | None = None,
) -> list[ReplayOutcome]:
    """Replay every run the visibility query finds, in one replayer, reporting as it goes."""

    async def histories() -> AsyncIterator[WorkflowHistory]:
        async for execution in client.list_workflows(query, limit=limit):
            handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
            yield await handle.fetch_history()

    outcomes = []
    replayer = journey_replayer(client.data_converter)
    async with replayer.workflow_replay_iterator(histories()) as results:
        async for result in results:
            outcome = _outcome(result)
            outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)
    return outcomes
