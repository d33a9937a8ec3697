"""A customer's timeline merges our records with Temporal's histories, in time order."""

from temporalio.testing import WorkflowEnvironment

from journeys.cart_abandonment import CART_ABANDONMENT
from journeys.runs import JourneyState
from tests.conftest import Stack, eventually, unique
from tests.journey_helpers import cart, midday_timezone, post_event, put_customer
from tests.ops.helpers import cli_env, journeyctl


async def test_timeline_of_an_abandoned_cart(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    customer_id = unique("c")
    await put_customer(
        stack,
        customer_id,
        email=f"{customer_id}@example.com",
        consent={"email": True},
        timezone=midday_timezone(),  # no quiet-hours deferral adds decisions, whatever the hour
    )
    accepted = await post_event(stack, customer_id, "cart_updated", cart())
    workflow_id = f"cart_abandonment:{customer_id}"
    state = await stack.client.get_workflow_handle(workflow_id, result_type=JourneyState).result()
    url = f"/v1/customers/{customer_id}/timeline"

    async def ended() -> list[dict] | None:
        entries = (await stack.http.get(url)).json()["items"]
        return entries if any(e["kind"] == "journey_ended" for e in entries) else None

    entries = await eventually(ended)
    assert entries, "the journey's close never reached visibility"
    times = [e["at"] for e in entries]
    assert times == sorted(times)
    kinds = [e["kind"] for e in entries]
    assert kinds[:2] == ["event_received", "journey_started"] and kinds[-1] == "journey_ended"
    assert entries[0]["detail"]["event_id"] == accepted["event_id"]
    assert entries[-1]["detail"] == {"status": "completed"}

    steps = [e["detail"]["step"] for e in entries if e["kind"] == "step_reached"]
    walked = [step.id for step in CART_ABANDONMENT.steps]
    assert steps == [*walked, "completed"]  # every step in order, then the final status
    decisions = [e for e in entries if e["kind"] == "message_decided"]
    assert [d["detail"]["message_id"] for d in decisions] == [m.message_id for m in state.messages]
    assert all(d["detail"]["reason"] and d["workflow_id"] == workflow_id for d in decisions)
    # A decision comes after the step that asked for it.
    first_send = next(
        e for e in entries if e["kind"] == "step_reached" and e["detail"]["step"] == "stage_1"
    )
    assert entries.index(first_send) < entries.index(decisions[0])

    printed = await journeyctl(
        cli_env(stack.client, stack.settings), "ops", "timeline", customer_id
    )
    assert printed.exit_code == 0, printed.output
    lines = printed.output.splitlines()
    assert len(lines) == 2 + len(entries)  # header, rule, one line per entry
    assert "cart_updated received" in lines[2] and "completed" in lines[-1]


async def test_timeline_needs_the_key_and_a_valid_id(stack: Stack) -> None:
    nobody = await stack.http.get(f"/v1/customers/{unique('c')}/timeline")
    assert nobody.status_code == 200 and nobody.json() == {"items": [], "next_cursor": None}
    bad = await stack.http.get("/v1/customers/bad'id/timeline")
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "customer_id"
    anonymous = await stack.http.get(
        f"/v1/customers/{unique('c')}/timeline", headers={"Authorization": ""}
    )
    assert anonymous.status_code == 401
