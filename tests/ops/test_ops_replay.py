"""`journeyctl ops replay` and `export-history`: real runs replay against the current code; a run
recorded by another release does not, and the first divergence is named."""

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowFailureError, WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from journeys.runs import JourneyState
from ops.history_export import export_history
from ops.replay import replay_history, replay_run
from tests.conftest import Stack, make_settings, unique
from tests.journey_helpers import cart, post_event, put_customer
from tests.ops.broken_journey import BrokenCartAbandonment
from tests.ops.helpers import cli_env, journeyctl, start_cart_journey


async def test_replay_tells_deterministic_runs_from_divergent_ones(
    stack: Stack, temporal_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path
) -> None:
    client = temporal_env.client
    good_customer, other_customer = unique("c"), unique("c")
    await put_customer(stack, good_customer, email="x@example.com", consent={"email": True})
    await post_event(stack, good_customer, "cart_updated", cart())
    good = client.get_workflow_handle(f"cart_abandonment:{good_customer}", result_type=JourneyState)
    await good.result()

    # A run recorded by another release of the same workflow type.
    other_settings = make_settings(sqlite_url, tmp_path)
    async with Worker(
        client, task_queue=other_settings.task_queue, workflows=[BrokenCartAbandonment]
    ):
        other = await start_cart_journey(client, other_settings.task_queue, other_customer, "x")
        with pytest.raises(WorkflowFailureError):
            await other.result()

    assert (await replay_run(client, good.id)).deterministic
    diverged = await replay_run(client, other.id)
    assert not diverged.deterministic
    assert diverged.failure is not None and diverged.failure.startswith("nondeterminism")

    env = cli_env(client, stack.settings)
    one = await journeyctl(env, "ops", "replay", good.id)
    assert one.exit_code == 0, one.output
    assert f"deterministic: {good.id}" in one.output
    bad = await journeyctl(env, "ops", "replay", other.id)
    assert bad.exit_code == 1
    assert "NOT deterministic" in bad.output and "first divergence: nondeterminism" in bad.output

    query = f"CustomerId = '{good_customer}' OR CustomerId = '{other_customer}'"
    bulk = await journeyctl(env, "ops", "replay", "--query", query)
    assert bulk.exit_code == 1, bulk.output
    # progress on stderr: plain count lines off a terminal (a bar on one)
    assert "replaying: 2 histories" in bulk.stderr
    assert "2 runs replayed: 1 deterministic, 1 failed" in bulk.output
    summary = bulk.output.split("1 failed", 1)[1].splitlines()
    assert ["CartAbandonment", "2", "1"] in [line.split() for line in summary]  # per type
    assert any(other.id in line and "nondeterminism" in line for line in summary)

    only_good = await journeyctl(env, "ops", "replay", "--query", f"CustomerId = '{good_customer}'")
    assert only_good.exit_code == 0, only_good.output
    assert "1 runs replayed: 1 deterministic, 0 failed" in only_good.output

    neither = await journeyctl(env, "ops", "replay", good.id, "--since", "1h")
    assert neither.exit_code == 2  # one of WORKFLOW_ID, --query, --since


async def test_export_history_adds_a_replayable_file_to_the_corpus(
    stack: Stack, temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    customer_id = unique("c")
    await post_event(stack, customer_id, "cart_updated", cart())
    handle = stack.client.get_workflow_handle(f"cart_abandonment:{customer_id}")
    await handle.result()
    corpus = tmp_path / "histories"

    path = await export_history(stack.client, handle.id, directory=corpus)
    assert path.parent == corpus and path.name.startswith("cart_abandonment_")
    assert customer_id not in path.name
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    assert (await replay_history(history)).deterministic
    with pytest.raises(FileExistsError):
        await export_history(stack.client, handle.id, directory=corpus)

    env = cli_env(stack.client, stack.settings)
    named = await journeyctl(
        env, "ops", "export-history", handle.id, "--name", "kept", "--dir", str(corpus)
    )
    assert named.exit_code == 0, named.output
    first = json.loads((corpus / "kept.json").read_text())["events"][0]
    assert first["workflowExecutionStartedEventAttributes"]["workflowType"]["name"] == (
        "CartAbandonment"
    )
    again = await journeyctl(
        env, "ops", "export-history", handle.id, "--name", "kept", "--dir", str(corpus)
    )
    assert again.exit_code == 2 and "exists" in again.output
