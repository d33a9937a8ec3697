"""The API contract, against the real Temporal server and both databases."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import Stack, unique
from tests.journey_helpers import cart


def event(customer_id: str, type: str = "cart_updated", **overrides: Any) -> dict[str, Any]:
    return {
        "event_id": unique("e"),
        "customer_id": customer_id,
        "type": type,
        "occurred_at": datetime.now(UTC).isoformat(),
        "properties": cart() if type == "cart_updated" else {"order_id": "o-1"},
        **overrides,
    }


def fields(response: httpx.Response) -> list[str]:
    return [error.get("field") for error in response.json()["detail"]]


async def test_health_needs_no_key_and_reports_its_dependencies(api: Stack) -> None:
    response = await api.http.get("/healthz", headers={"Authorization": ""})
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "temporal": "ok"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/events"),
        ("PUT", "/v1/customers/c-1"),
        ("GET", "/v1/customers/c-1/messages"),
        ("GET", "/v1/journeys/cart_abandonment:c-1"),
        ("POST", "/v1/journeys/cart_abandonment:c-1/signals/order_paid"),
    ],
)
@pytest.mark.parametrize("authorization", [None, "Bearer wrong-key", "Basic dGVzdDp0ZXN0"])
async def test_every_other_route_needs_a_valid_key(
    api: Stack, method: str, path: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    async with httpx.AsyncClient(transport=api.http._transport, base_url="http://api") as bare:
        response = await bare.request(method, path, headers=headers, json={})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_customer_profile_is_stored_and_returned(api: Stack) -> None:
    customer_id = unique("c")
    profile = {
        "timezone": "Asia/Shanghai",
        "locale": "zh-CN",
        "email": "ada@example.com",
        "phone": "+86 138 0013 8000",
        "push_token": "tok-1",
        "wechat_openid": "o-abc",
        "consent": {"email": True, "sms": False, "push": True},
        "attributes": {"tier": "gold"},
    }
    response = await api.http.put(f"/v1/customers/{customer_id}", json=profile)
    assert response.status_code == 200
    guardrail_state = {"unsubscribed_channels": [], "blacklisted": False, "silence_until": None}
    kept = {"interest_categories": []}  # from signup events (docs/content.md)
    assert response.json() == {"customer_id": customer_id, **profile, **guardrail_state, **kept}

    changed = await api.http.put(f"/v1/customers/{customer_id}", json={**profile, "locale": "en"})
    assert changed.json()["locale"] == "en"
    stored = await api.http.get(f"/v1/customers/{customer_id}")
    assert stored.json()["locale"] == "en"


@pytest.mark.parametrize(
    ("profile", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"email": "not-an-email"}, "email"),
        ({"consent": {"pigeon": True}}, "consent.pigeon.[key]"),
        ({"consent": {"sms": "maybe"}}, "consent.sms"),
        ({"phone": "call me"}, "phone"),
    ],
)
async def test_bad_profiles_name_the_field(api: Stack, profile: dict[str, Any], field: str) -> None:
    response = await api.http.put(f"/v1/customers/{unique('c')}", json=profile)
    assert response.status_code == 422
    assert fields(response) == [field]


async def test_event_starts_a_journey_and_a_repeat_is_a_duplicate(api: Stack) -> None:
    customer_id = unique("c")
    body = event(customer_id)
    first = await api.http.post("/v1/events", json=body)
    assert first.status_code == 202
    workflow_id = f"cart_abandonment:{customer_id}"
    accepted = first.json()
    assert (accepted["event_id"], accepted["duplicate"]) == (body["event_id"], False)
    cart_journey = {"journey": "cart_abandonment", "workflow_id": workflow_id, "action": "started"}
    assert cart_journey in accepted["journeys"]
    again = await api.http.post("/v1/events", json=body)
    assert again.status_code == 202
    assert again.json() == {**first.json(), "duplicate": True}

    journey = await api.http.get(f"/v1/journeys/{workflow_id}")
    assert journey.status_code == 200
    view = journey.json()
    assert (view["workflow_id"], view["journey"], view["customer_id"], view["status"]) == (
        workflow_id,
        "cart_abandonment",
        customer_id,
        "running",
    )
    assert view["messages"] == []

    signal = await api.http.post(
        f"/v1/journeys/{workflow_id}/signals/order_paid", json={"order_id": "o-9"}
    )
    assert signal.status_code == 202
    assert signal.json()["signal"] == "order_paid"


async def test_order_paid_without_a_running_journey_is_ignored(api: Stack) -> None:
    customer_id = unique("c")
    response = await api.http.post("/v1/events", json=event(customer_id, "order_paid"))
    assert response.status_code == 202
    journeys = response.json()["journeys"]
    assert journeys and {j["action"] for j in journeys} == {"ignored"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"event_id": None}, "event_id"),
        ({"customer_id": ""}, "customer_id"),
        ({"customer_id": "c 1; DROP TABLE events"}, "customer_id"),
        ({"type": "cart_exploded"}, "type"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": "2026-11-24T10:00:00"}, "occurred_at"),  # no offset: ambiguous
        ({"occurred_at": (datetime.now(UTC) + timedelta(days=3)).isoformat()}, "occurred_at"),
        ({"occurred_at": "1970-01-01T00:00:00Z"}, "occurred_at"),
        ({"properties": {"items": [], "total": 1}}, "properties.cart_id"),
        ({"properties": {**cart(), "total": "lots"}}, "properties.total"),
        (
            {
                "properties": {
                    **cart(),
                    "items": [{"sku": "x", "name": "y", "price": -1, "quantity": 1}],
                }
            },
            "properties.items.0.price",
        ),
        ({"properties": "not a map"}, "properties"),
    ],
)
async def test_bad_events_name_the_field(api: Stack, change: dict[str, Any], field: str) -> None:
    body = {**event(unique("c")), **change}
    body = {k: v for k, v in body.items() if v is not None}
    response = await api.http.post("/v1/events", json=body)
    assert response.status_code == 422, response.text
    assert fields(response) == [field]


async def test_non_json_and_oversized_bodies_are_refused(api: Stack) -> None:
    broken = await api.http.post(
        "/v1/events", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 422
    assert fields(broken) == ["body"]

    huge = event(unique("c"))
    huge["properties"]["padding"] = "x" * (api.settings.max_body_bytes + 1)
    too_big = await api.http.post("/v1/events", json=huge)
    assert too_big.status_code == 413
    assert fields(too_big) == ["body"]


async def test_unknown_journeys_and_signals(api: Stack) -> None:
    missing = await api.http.get("/v1/journeys/cart_abandonment:nobody")
    assert missing.status_code == 404
    assert fields(missing) == ["workflow_id"]
    signal_missing = await api.http.post(
        "/v1/journeys/cart_abandonment:nobody/signals/order_paid", json={"order_id": "o"}
    )
    assert signal_missing.status_code == 404

    customer_id = unique("c")
    await api.http.post("/v1/events", json=event(customer_id))
    workflow_id = f"cart_abandonment:{customer_id}"
    bad_name = await api.http.post(f"/v1/journeys/{workflow_id}/signals/self_destruct", json={})
    assert bad_name.status_code == 422
    assert fields(bad_name) == ["name"]
    bad_body = await api.http.post(f"/v1/journeys/{workflow_id}/signals/order_paid", json={})
    assert bad_body.status_code == 422
    assert fields(bad_body) == ["order_id"]


async def test_messages_of_a_customer_with_none_is_an_empty_list(api: Stack) -> None:
    response = await api.http.get(f"/v1/customers/{unique('c')}/messages")
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}
