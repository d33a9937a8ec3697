"""Recorded histories of every journey kind replay against the current workflow code.

A change that breaks determinism for runs in flight fails here before it reaches production.
Refresh the corpus with
`UPDATE_HISTORIES=1 pytest tests/test_cart_abandonment.py tests/test_journeys_*.py`: it writes
runs of the current interpreter into tests/histories/v4/. Never replace the runs of an earlier
version, which may still be in flight in production: `cart_abandonment_unpaid`, `_paid_at_2h`
and `_restarted_at_3h` are from before `journey-interpreter-v2`, the other top-level files from
before `journey-interpreter-v3` (entry and facts as plain activities, two activities per send),
those in v3/ from before `journey-interpreter-v4` (three patches, entry and facts in two local
activities, the segment upserted on its own).
"""

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from journeys.registry import JOURNEYS
from tests.conftest import DATA_CONVERTER
from workflows.journey import JourneyWorkflow

CORPUS = Path(__file__).parent / "histories"
HISTORIES = sorted(CORPUS.rglob("*.json"))


def workflow_type(path: Path) -> str:
    first = json.loads(path.read_text())["events"][0]
    return first["workflowExecutionStartedEventAttributes"]["workflowType"]["name"]


def test_every_journey_kind_has_a_recorded_history() -> None:
    recorded = {workflow_type(path) for path in HISTORIES}
    assert {journey.workflow_type for journey in JOURNEYS} <= recorded


def test_the_current_interpreter_has_a_recorded_history_of_every_journey_kind() -> None:
    recorded = {workflow_type(path) for path in (CORPUS / "v4").glob("*.json")}
    assert {journey.workflow_type for journey in JOURNEYS} <= recorded


@pytest.mark.parametrize(
    "path", HISTORIES, ids=[str(path.relative_to(CORPUS).with_suffix("")) for path in HISTORIES]
)
async def test_history_replays_deterministically(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(workflows=[JourneyWorkflow], data_converter=DATA_CONVERTER)
    await replayer.replay_workflow(history)
