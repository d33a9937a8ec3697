"""Whatever the API accepts, the worker can decode and run (hypothesis).

Generated customers and events go through the real API to a real worker on real Temporal: every
free-text field (item names, categories, page types, interest categories, free properties,
profile attributes, push token, WeChat openid) gets nested structures, sizes around the limits,
any Unicode (control characters and lone surrogates included) and placeholder-like strings.
Each request is either refused with a 4xx naming a field, or accepted, and then the journey it
started reads the event and the customer's facts: its workflow tasks complete, none fails.
"""

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from temporalio.api.enums.v1 import EventType as HistoryEventType
from temporalio.testing import WorkflowEnvironment

from models.limits import MAX_TEXT_CHARS
from tests.conftest import Stack, eventually, unique
from tests.journey_helpers import event_body, midday_timezone

PLACEHOLDERS = [
    "{{first_name}}",
    "{{coupon_code}}",
    "{{ unsubscribe_url }}",
    "{{no_such_value}}",
    "{{lbrace}}",
    "{{{{first_name}}}}",
    "}}{{",
    "${jndi:ldap://x}",
    "{% raw %}",
    "{0}",
    "%s",
]


def free_text(max_size: int = MAX_TEXT_CHARS + 50) -> st.SearchStrategy[str]:
    """Any Unicode (surrogates and controls too), placeholder-like pieces, and long runs."""
    printable = st.characters(exclude_categories=["Cc", "Cs"])
    pieces = st.one_of(
        st.text(printable, max_size=30),
        st.text(printable, max_size=30),
        st.sampled_from(PLACEHOLDERS),
        st.sampled_from(PLACEHOLDERS),
        st.text(st.characters(), max_size=5),  # controls and lone surrogates among the rest
        st.sampled_from(["\u0000", "\ud800", "\u202e", "\r\n", "\t", "😀", "退订", "<b>"]),
    )
    composed = st.lists(pieces, max_size=6).map("".join)
    long = st.integers(min_value=max_size - 60, max_value=max_size).map(lambda n: "x" * n)
    return st.one_of(composed, composed, composed, long)  # a long one now and then


def json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Nested JSON up to about 12 levels, with strings of every kind at the leaves."""
    leaves = st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), free_text(200)
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(free_text(20), inner, max_size=3)
        ),
        max_leaves=max_leaves,
    )


def chain(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"d": value}
    return value


bags = st.one_of(
    st.dictionaries(free_text(40), json_values(), max_size=4),
    st.integers(min_value=1, max_value=40).map(lambda n: {"deep": chain(n)}),
)


@st.composite
def events(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    kind = draw(st.sampled_from(["cart_updated", "product_viewed", "page_viewed", "signup"]))
    text = free_text()
    match kind:
        case "cart_updated":
            item = st.fixed_dictionaries(
                {
                    "sku": st.just("sku-1"),
                    "name": text,
                    "price": st.just(20.0),
                    "quantity": st.just(1),
                }
            )
            items = draw(st.lists(item, min_size=1, max_size=3))
            properties = {"cart_id": "cart-1", "items": items, "total": 20.0 * len(items)}
        case "product_viewed":
            properties = {"sku": "sku-1", "category": draw(text), "price": 20.0}
        case "page_viewed":
            properties = {"page_type": draw(text), "category": draw(text)}
        case _:
            properties = {"interest_categories": draw(st.lists(text, max_size=3))}
    properties |= draw(bags)
    return kind, properties


profiles = st.fixed_dictionaries(
    {
        "timezone": st.just(midday_timezone()),
        "consent": st.just({"inapp": True}),
        "push_token": free_text(600),
        "wechat_openid": free_text(150),
        "attributes": st.one_of(st.fixed_dictionaries({"first_name": free_text(300)}), bags),
    }
)

STARTS = {
    "cart_updated": "cart_abandonment",
    "product_viewed": "browse_abandonment",
    "signup": "welcome",
}


async def history_types(stack: Stack, workflow_id: str) -> list[int]:
    handle = stack.client.get_workflow_handle(workflow_id)
    return [event.event_type async for event in handle.fetch_history_events()]


@settings(
    max_examples=50,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@given(profile=profiles, event=events())
async def test_what_the_api_accepts_the_worker_decodes_and_runs(
    stack: Stack,
    temporal_env: WorkflowEnvironment,
    profile: dict[str, Any],
    event: tuple[str, dict[str, Any]],
) -> None:
    customer_id = unique("fuzz")
    # As a backend would send it: JSON text (a lone surrogate travels as a \\ud800 escape).
    put = await stack.http.put(
        f"/v1/customers/{customer_id}",
        content=json.dumps(profile),
        headers={"Content-Type": "application/json"},
    )
    assert put.status_code in (200, 422), put.text
    if put.status_code == 422:  # refused with the field; the event still gets its turn
        assert put.json()["detail"][0]["field"]
        plain = {"timezone": midday_timezone(), "consent": {"inapp": True}}
        assert (await stack.http.put(f"/v1/customers/{customer_id}", json=plain)).is_success
    kind, properties = event
    with temporal_env.with_time_skipping_disabled():
        posted = await stack.http.post(
            "/v1/events",
            content=json.dumps(event_body(customer_id, kind, properties)),
            headers={"Content-Type": "application/json"},
        )
    assert posted.status_code in (202, 422), posted.text
    if posted.status_code == 422:
        assert posted.json()["detail"][0]["field"]
        return
    journey = STARTS.get(kind)
    started = [j for j in posted.json()["journeys"] if j["action"] == "started"]
    if journey is None or not started:
        return
    workflow_id = f"{journey}:{customer_id}"

    async def ran() -> bool:
        types = await history_types(stack, workflow_id)
        assert HistoryEventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in types
        # The event decoded, and the customer admitted with their facts read: a local
        # activity's result, decoded by the workflow in the task that records it as a marker.
        return HistoryEventType.EVENT_TYPE_MARKER_RECORDED in types

    try:
        assert await eventually(ran, timeout=30), f"{workflow_id} did not run"
    finally:
        await stack.client.get_workflow_handle(workflow_id).terminate("fuzz example done")
