"""Hostile values get a clear 4xx or a documented acceptance: never a 5xx, never a journey
started with garbage."""

import json
from datetime import UTC, datetime

import pytest

from tests.conftest import Stack, unique
from tests.journey_helpers import cart

HUGE_PRICE = {"sku": "s", "name": "n", "price": 1e308}


def event(**changes: object) -> dict[str, object]:
    return {
        "event_id": unique("e"),
        "customer_id": unique("c"),
        "type": "cart_updated",
        "occurred_at": datetime.now(UTC).isoformat(),
        "properties": cart(),
        **changes,
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer_id": "c\u0000nul"}, "customer_id"),
        ({"customer_id": "c\nnewline"}, "customer_id"),
        ({"customer_id": "客户-1"}, "customer_id"),
        ({"customer_id": "x" * 500}, "customer_id"),
        ({"event_id": "e'; DROP TABLE events; --"}, "event_id"),
        ({"event_id": "{{7*7}}"}, "event_id"),
        ({"occurred_at": "9999-12-31T23:59:59Z"}, "occurred_at"),
        ({"occurred_at": "0001-01-01T00:00:00Z"}, "occurred_at"),
        ({"occurred_at": "2026-13-45T25:61:00Z"}, "occurred_at"),
        ({"type": "<script>alert(1)</script>"}, "type"),
        (
            {
                "properties": {
                    **cart(),
                    "items": [{"sku": "s", "name": "n", "price": 1e308, "quantity": 1}],
                }
            },
            "properties.items.0.price",
        ),
        ({"properties": {**cart(), "total": "NaN"}}, "properties.total"),
    ],
)
async def test_hostile_event_fields_are_refused_with_the_field(
    api: Stack, change: dict[str, object], field: str
) -> None:
    response = await api.http.post("/v1/events", json=event(**change))
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["field"] == field


async def test_injection_strings_in_free_properties_are_stored_as_data(api: Stack) -> None:
    body = event()
    body["properties"] = {
        **cart(),
        "note": "{{coupon_code}} ${jndi:ldap://x} '; DROP TABLE messages; -- <b>hi</b> 你好 \u202e",
    }
    response = await api.http.post("/v1/events", json=body)
    assert response.status_code == 202
    again = await api.http.post("/v1/events", json=body)
    assert again.json()["duplicate"] is True  # stored verbatim, the tables intact


async def test_deeply_nested_json_is_refused_not_crashed(api: Stack) -> None:
    deep = '{"d":' * 5000 + '"leaf"' + "}" * 5000  # built as text: too deep for json.dumps
    body = json.dumps(event(properties={**cart(), "deep": "PLACEHOLDER"})).replace(
        '"PLACEHOLDER"', deep
    )
    response = await api.http.post(
        "/v1/events", content=body, headers={"Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "UTC+25", "../../etc/passwd", ""])
async def test_time_zones_that_do_not_exist_are_refused(api: Stack, zone: str) -> None:
    response = await api.http.put(f"/v1/customers/{unique('c')}", json={"timezone": zone})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "timezone"


async def test_unknown_event_types_start_nothing(api: Stack) -> None:
    body = event(type="cart_updated_v2")
    response = await api.http.post("/v1/events", json=body)
    assert response.status_code == 422
    journey = await api.http.get(f"/v1/journeys/cart_abandonment:{body['customer_id']}")
    assert journey.status_code == 404
