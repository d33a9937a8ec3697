"""The Journeys and Customer pages with a worker: the graph of a definition with its jumps, the
runs in flight counted at the step they wait in and the version they walk, and a customer's
words shown as text, never as markup."""

import re
from contextlib import aclosing

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from models.search_attributes import JOURNEY_STEP
from models.tables import AuditRow
from tests.conftest import Stack, eventually, unique
from tests.console.test_console_pages import signed_in
from tests.journey_helpers import (
    abandon_a_cart,
    cart,
    journey,
    midday_timezone,
    post_event,
    put_customer,
)


def in_flight(page: str, step: str) -> int:
    found = re.search(rf'data-step="{step}">.*?data-in-flight="(\d+)"', page, re.S)
    assert found is not None, step
    return int(found[1])


async def test_a_branching_definition_is_drawn_with_its_jumps(stack: Stack) -> None:
    client, _ = await signed_in(stack)
    async with aclosing(client):
        page = (await client.get("/console/journeys/post_support")).text
    steps = re.findall(r'<g class="step step-(\w+)" data-step="(\w+)"', page)
    assert steps == [
        ("wait", "wait_2h"),
        ("branch", "by_intent"),
        ("send", "guidance_and_picks"),
        ("end", "followed_up"),
        ("send", "guidance"),
        ("end", "end"),
    ]
    # by_intent's case jumps over the picks to the guidance; followed_up jumps to the end.
    labels = re.findall(r'<text class="jump-label"[^>]*>([^<]+)</text>', page)
    assert labels == ["case 1", "end"]
    assert "send post_support via inapp › push › email · offer WB_PRIORITY_SUPPORT" in page


async def test_runs_in_flight_are_counted_at_their_step_with_their_version(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    client, _ = await signed_in(stack)
    async with aclosing(client):

        async def page() -> str:
            return (await client.get("/console/journeys/cart_abandonment")).text

        before = in_flight(await page(), "wait_30m")
        customer_id = unique("c")
        with temporal_env.with_time_skipping_disabled():
            await put_customer(
                stack, customer_id, timezone=midday_timezone(), consent={"inapp": True}
            )
            await post_event(stack, customer_id, "cart_updated", cart())

            async def counted() -> str | None:
                text = await page()
                return text if in_flight(text, "wait_30m") == before + 1 else None

            shown = await eventually(counted)
            assert shown is not None, "the waiting journey was never counted"
            assert in_flight(shown, "stage_1") >= 0
            assert re.search(r'class="pill">v2: [1-9]', shown)
            catalogue = (await client.get("/console/journeys")).text
            assert re.search(r"cart_abandonment</a></td>.*?class=\"num\">[1-9]", catalogue, re.S)
            await journey(stack, "cart_abandonment", customer_id).terminate("test over")


async def test_the_customer_s_words_are_text_not_markup(stack: Stack) -> None:
    item = '<img src=x onerror="alert(1)">'
    customer_id, state = await abandon_a_cart(stack, item, consent={"inapp": True})
    assert any(m.content and item in m.content.body for m in state.messages)
    client, _ = await signed_in(stack)
    async with aclosing(client):
        page = await client.get(f"/console/customers/{customer_id}")
    assert page.status_code == 200
    assert "<img src=x" not in page.text
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page.text


async def test_unknown_customer_is_a_404_naming_the_field(stack: Stack) -> None:
    client, _ = await signed_in(stack)
    async with aclosing(client):
        answer = await client.get(f"/console/customers/{unique('nobody')}")
    assert answer.status_code == 404 and "customer_id" in answer.text


async def test_a_wedged_journey_is_listed_and_reset_from_the_failures_page(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    customer_id = unique("c")
    await put_customer(stack, customer_id, consent={"inapp": True}, timezone=midday_timezone())
    client, csrf = await signed_in(stack)
    async with aclosing(client):
        with temporal_env.with_time_skipping_disabled():
            await post_event(stack, customer_id, "cart_updated", cart())
            handle = journey(stack, "cart_abandonment", customer_id)

            async def waiting() -> bool:  # a task completed: there is a point to reset to
                described = await handle.describe()
                return described.typed_search_attributes.get(JOURNEY_STEP) == "wait_30m"

            assert await eventually(waiting)
            # An event no worker can read: every workflow task fails from now on.
            await handle.signal("order_paid", {"event_id": 7, "properties": "garbage"})

            async def listed() -> str | None:
                page = (await client.get("/console/failures")).text
                row = re.search(rf"<tr data-workflow-id=\"{handle.id}\">(.*?)</tr>", page, re.S)
                return row[1] if row and 'table class="wedged"' in page else None

            row = await eventually(listed, timeout=60)
            assert row is not None, "the wedged journey was never listed"
            assert "Event" in row and 'value="reset"' in row, row
            wedged_run = re.search(r'name="run_id" value="([^"]+)"', row)
            assert wedged_run is not None

            done = await client.post(
                "/console/failures/wedged",
                data={
                    "csrf_token": csrf,
                    "workflow_id": handle.id,
                    "run_id": wedged_run[1],
                    "action": "reset",
                    "drop_signals": "on",
                },
            )
            assert done.status_code == 200, done.text
            new_run = re.search(r'<code class="new-run">([^<]+)</code>', done.text)
            assert new_run is not None and new_run[1] != wedged_run[1]

            async def running_again() -> bool:
                described = await handle.describe()
                return (
                    described.run_id == new_run[1]
                    and described.raw_description.pending_workflow_task.attempt < 2
                )

            assert await eventually(running_again, timeout=30)
            again = await client.post(
                "/console/failures/wedged",
                data={
                    "csrf_token": csrf,
                    "workflow_id": handle.id,
                    "run_id": wedged_run[1],
                    "action": "reset",
                },
            )
            assert again.status_code == 409 and "not wedged" in again.text
            await handle.terminate("test over")
    async with stack.sessions() as session:
        rows = list(await session.scalars(select(AuditRow).where(AuditRow.target == handle.id)))
    # The refused second reset changed nothing and wrote nothing.
    assert [(r.actor, r.action, r.outcome) for r in rows] == [
        ("key:key-1", "journey.wedged.reset", "ok")
    ]
