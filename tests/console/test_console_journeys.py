"""The Journeys and Customer pages with a worker: the graph of a definition with its jumps, the
runs in flight counted at the step they wait in and the version they walk, and a customer's
words shown as text, never as markup."""

import re
from contextlib import aclosing

from temporalio.testing import WorkflowEnvironment

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
