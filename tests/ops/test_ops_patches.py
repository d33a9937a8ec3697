"""`journeyctl ops patches`: the open journey runs per recorded interpreter patch, and those that
lack each patch (whose old branch must therefore stay). A run of the current interpreter records
v4 and needs no old branch; a run of a release before the patches needs all three."""

import json
from pathlib import Path

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from journeys.cart_abandonment import CART_ABANDONMENT
from ops.patches import patch_census
from tests.conftest import Stack, eventually, make_settings, unique
from tests.journey_helpers import cart, post_event, put_customer
from tests.ops.broken_journey import CartAbandonmentBeforePatches
from tests.ops.helpers import cli_env, journeyctl, start_cart_journey
from workflows.journey import INTERPRETER_V2, INTERPRETER_V3, INTERPRETER_V4


async def test_patches_counts_open_runs_per_patch_and_those_lacking_each(
    stack: Stack, temporal_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path
) -> None:
    client = temporal_env.client
    current, old = unique("c"), unique("c")
    where = f"CustomerId IN ('{current}', '{old}')"
    old_settings = make_settings(sqlite_url, tmp_path)
    with temporal_env.with_time_skipping_disabled():
        await put_customer(stack, current, email="x@example.com", consent={"email": True})
        await post_event(stack, current, "cart_updated", cart())
        async with Worker(
            client, task_queue=old_settings.task_queue, workflows=[CartAbandonmentBeforePatches]
        ):
            handle = await start_cart_journey(client, old_settings.task_queue, old, "x")

            async def counted() -> tuple[int, dict[str, tuple[int, int]]] | None:
                total, census = await patch_census(client, where)
                seen = {c.patch: (c.recorded, c.lacking) for c in census}
                return (total, seen) if seen[INTERPRETER_V4][0] == 1 and total == 2 else None

            found = await eventually(counted)
            env = cli_env(client, stack.settings)
            printed = await journeyctl(env, "ops", "patches", "--where", where)
            as_json = await journeyctl(env, "ops", "patches", "--where", where, "--json")
            await handle.terminate("test over")
        journey = client.get_workflow_handle(CART_ABANDONMENT.workflow_id(current))
        await journey.terminate("test over")

    assert found == (
        2,
        {INTERPRETER_V2: (0, 1), INTERPRETER_V3: (0, 1), INTERPRETER_V4: (1, 1)},
    )
    assert printed.exit_code == 0, printed.output
    assert "2 open journey runs" in printed.output
    assert [INTERPRETER_V4, "1", "1", "keep"] in [
        line.split() for line in printed.output.splitlines()
    ]
    assert json.loads(as_json.output) == {
        "open_runs": 2,
        "patches": [
            {"patch": INTERPRETER_V2, "recorded": 0, "lacking": 1, "old_branch_may_go": False},
            {"patch": INTERPRETER_V3, "recorded": 0, "lacking": 1, "old_branch_may_go": False},
            {"patch": INTERPRETER_V4, "recorded": 1, "lacking": 1, "old_branch_may_go": False},
        ],
    }
