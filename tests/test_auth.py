"""Scoped API keys: every authenticated route names one scope and checks it; operator actions
land in the audit log under the key's name, never the key."""

from pathlib import Path

import httpx
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from pydantic import SecretStr
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from models.api_keys import ApiKey, Scope
from models.tables import AuditRow
from tests.conftest import API_KEY, Stack, make_settings, unique
from tests.journey_helpers import cart, post_event, put_customer
from workers.build import build_worker

# Public: health, and what the provider's or the link's own signature guards.
PUBLIC = {
    "healthz",
    "receive_receipts",
    # Providers' callbacks, each signed the provider's own way (docs/channels.md).
    "twilio_status",
    "twilio_inbound",
    "tencent_status",
    "tencent_reply",
    "check_url",
    "receive_event",
    "sendgrid_events",
    "ses_notifications",
    "click",
    "open_pixel",
    "confirm_page",
    "one_click",
    "save_preferences",
    "sms_gateway_inbound",
    "report_page_by_link",
    # The codec server checks its key itself (a bearer key or the sign-in cookie).
    "decode_payloads",
    "encode_payloads",
    "codec_session_page",
    "codec_sign_in",
}
KEYS = {
    "writer": (["events:write"], "writer-key-0123456789"),
    "reader": (["customers:read"], "reader-key-0123456789"),
    "editor": (["customers:write"], "editor-key-0123456789"),
    "operator": (["ops"], "operator-key-0123456789"),
}


def scopes_of(route: RouteContext) -> list[Scope]:
    found = []

    def walk(dependant) -> None:
        for dependency in dependant.dependencies:
            if hasattr(dependency.call, "scope"):
                found.append(dependency.call.scope)
            walk(dependency)

    walk(route.dependant)  # the route's own dependencies and those of its router's inclusion
    return found


def test_every_authenticated_route_names_exactly_one_scope(tmp_path: Path) -> None:
    app = create_app(make_settings("sqlite+aiosqlite:///unused.db", tmp_path))
    routes = [
        r
        for r in iter_route_contexts(app.routes)
        if isinstance(r.route, APIRoute) and r.route.include_in_schema
    ]
    assert {r.name for r in routes} >= PUBLIC
    for route in routes:
        scopes = scopes_of(route)
        if route.name in PUBLIC:
            assert scopes == [], route.path
        else:
            assert len(set(scopes)) == 1, (route.path, scopes)
    # Operation ids are the handlers' names: stable when a path changes, and unique.
    document = app.openapi()
    ids = [op["operationId"] for path in document["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids)) and set(ids) == {r.name for r in routes}


def scoped_stack(temporal_env: WorkflowEnvironment, database_url: str, tmp_path: Path) -> Stack:
    keys = [
        ApiKey(name=name, key=SecretStr(key), scopes=frozenset(scopes))
        for name, (scopes, key) in KEYS.items()
    ]
    return Stack(
        make_settings(database_url, tmp_path, api_keys=[*keys, API_KEY]), temporal_env.client
    )


def as_key(stack: Stack, name: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=stack.http._transport,
        base_url="http://api",
        headers={"Authorization": f"Bearer {KEYS[name][1]}"},
    )


async def test_each_key_does_what_its_scopes_allow_and_no_more(
    temporal_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path
) -> None:
    stack = scoped_stack(temporal_env, sqlite_url, tmp_path)
    customer_id = unique("c")
    profile = {"email": f"{customer_id}@example.com", "consent": {"email": True}}
    writer, reader, editor = (
        as_key(stack, "writer"),
        as_key(stack, "reader"),
        as_key(stack, "editor"),
    )
    try:
        assert (await writer.put(f"/v1/customers/{customer_id}", json=profile)).status_code == 403
        assert (await editor.put(f"/v1/customers/{customer_id}", json=profile)).status_code == 200
        assert (await reader.get(f"/v1/customers/{customer_id}")).status_code == 200
        assert (await editor.get(f"/v1/customers/{customer_id}")).status_code == 403
        refused = await reader.get("/metrics")
        assert refused.status_code == 403
        assert refused.json()["detail"][0] == {
            "reason": "this API key lacks the scope ops",
            "field": "Authorization",
        }
        event = {
            "event_id": unique("e"),
            "customer_id": customer_id,
            "type": "order_paid",
            "occurred_at": "2026-01-01T00:00:00Z",
            "properties": {"order_id": "o-1"},
        }
        assert (await reader.post("/v1/events", json=event)).status_code == 403
        assert (await editor.post("/v1/events", json=event)).status_code == 403
        # The writer may post (422 here: the date is too old; past the scope check).
        assert (await writer.post("/v1/events", json=event)).status_code in (202, 422)
        # The plain key of development opens everything.
        assert (await stack.http.get("/metrics")).status_code == 200
    finally:
        for client in (writer, reader, editor):
            await client.aclose()
        await stack.close()


async def test_operator_actions_are_audited_under_the_keys_name(
    temporal_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path
) -> None:
    stack = scoped_stack(temporal_env, sqlite_url, tmp_path)
    operator, reader = as_key(stack, "operator"), as_key(stack, "reader")
    customer_id = unique("c")
    try:
        await put_customer(stack, customer_id, email=f"{customer_id}@example.com")
        with temporal_env.with_time_skipping_disabled():
            await post_event(stack, customer_id, "cart_updated", cart())
        workflow_id = f"cart_abandonment:{customer_id}"
        end = {"reason": "complaint by phone"}
        async with build_worker(temporal_env.client, stack.settings, stack.sessions):
            assert (
                await reader.post(f"/v1/journeys/{workflow_id}/end", json=end)
            ).status_code == 403
            ended = await operator.post(f"/v1/journeys/{workflow_id}/end", json=end)
            assert ended.status_code == 202, ended.text
            await temporal_env.client.get_workflow_handle(workflow_id).result()
            again = await operator.post(f"/v1/journeys/{workflow_id}/end", json=end)
            assert again.status_code == 409
        async with stack.sessions() as session:
            rows = list(
                await session.scalars(
                    select(AuditRow).where(AuditRow.target == workflow_id).order_by(AuditRow.id)
                )
            )
        assert [(r.actor, r.action, r.outcome.split(":")[0]) for r in rows] == [
            ("key:operator", "journey.end", "ok"),
            ("key:operator", "journey.end", "failed"),
        ]
        assert rows[0].detail == end and "409" in rows[1].outcome
        assert all(KEYS["operator"][1] not in (r.outcome + str(r.detail)) for r in rows)
        assert rows[0].at <= rows[1].at
    finally:
        await operator.aclose()
        await reader.aclose()
        await stack.close()
