"""The customer profile end to end, on a fresh database of each kind and the real Temporal
server: core tags after events, identity merges moving journeys, a segment entry starting a
journey, the daily dormancy scan starting winback in the right tier, starts that survive a crash,
and updates that survive the database going away."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from temporalio.testing import WorkflowEnvironment

from journeys.cross_sell import EARLY_ACCESS
from models.events import Event, EventType
from models.tables import AuditRow, EventRow, SegmentEntryRow, TagChangeRow
from profiles.identity import ANONYMOUS_PREFIX
from profiles.segment_starts import SegmentStarter, entry_event
from profiles.updater import ProfileUpdater
from routing import start_journey
from storage.database import migrate, session_factory
from storage.events import store_and_claim, store_event
from storage.profiles import entry_id, queued
from tests.conftest import Stack, eventually, make_settings, postgres_database, unique
from tests.journey_helpers import (
    journey,
    midday_timezone,
    post_event,
    prepared,
    put_customer,
    record_history,
    replay_and_keep,
    run_to_end,
)
from tests.pg_server import PgServer
from tests.smtp_server import SmtpSink
from workers.build import build_worker
from workers.schedules import (
    DORMANCY_SCAN_SCHEDULE_ID,
    PROFILE_BATCH_SCHEDULE_ID,
    ensure_profile_schedules,
)
from workflows.profile_scan import ProfileScanWorkflow, ScanInput

DAY = timedelta(days=1)
INAPP = {"consent": {"inapp": True}}


@pytest.fixture(params=["sqlite", "postgres"])
async def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database of this test's own: scans and the queue see only its customers."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'profile.db'}"
        await migrate(url)
        yield url
        return
    async with postgres_database("profile") as url:
        yield url


@pytest.fixture
async def profile_stack(
    fresh_url: str, temporal_env: WorkflowEnvironment, smtp: SmtpSink, tmp_path: Path
) -> AsyncIterator[Stack]:
    settings = make_settings(fresh_url, tmp_path, smtp_host=smtp.host, smtp_port=smtp.port)
    stack = Stack(settings, temporal_env.client)
    async with build_worker(
        temporal_env.client, settings, stack.sessions, reads=session_factory(stack.reader)
    ):
        yield stack
    await stack.close()


def updater(stack: Stack) -> ProfileUpdater:
    starter = SegmentStarter(stack.sessions, stack.client, stack.settings.task_queue)
    return ProfileUpdater(stack.sessions, stack.settings.profile, starter)


async def drain(stack: Stack) -> None:
    """Run the updater until the queue is empty (the worker's loop, stepped by hand)."""
    tagger = updater(stack)
    while await tagger.update_once():
        pass


async def profile(stack: Stack, customer_id: str) -> dict[str, Any]:
    response = await stack.http.get(f"/v1/customers/{customer_id}/profile")
    assert response.status_code == 200, response.text
    return response.json()


def tags(view: dict[str, Any]) -> dict[str, Any]:
    return {tag["tag"]: tag["value"] for tag in view["tags"]}


async def test_core_tags_health_stage_and_the_configuration(profile_stack: Stack) -> None:
    stack = profile_stack
    customer_id = unique("c")
    await put_customer(stack, customer_id, timezone=midday_timezone(), email="x@example.com",
                       attributes={"region": "east"}, **INAPP)  # fmt: skip
    for days in (40, 20):
        await record_history(stack, customer_id, "order_paid",
                             {"order_id": unique("o"), "total": 650.0},
                             datetime.now(UTC) - days * DAY)  # fmt: skip
    last = await post_event(stack, customer_id, "support_ticket_closed",
                            {"topic": "delivery", "sentiment": "negative",
                             "resolution_hours": 30})  # fmt: skip
    await drain(stack)
    view = await profile(stack, customer_id)
    held = tags(view)
    assert held["high_order_value"] is True and held["region"] == "east"
    assert held["after_sales_type"] == "delivery"
    assert held["lifecycle_stage"] == view["stage"] == "active"
    assert {t["cause"] for t in view["tags"]} == {last["event_id"]}
    assert [i["kind"] for i in view["identities"]] == ["email"]  # the kind, never the address
    assert "x@example.com" not in str(view)
    parts = {part["name"]: part for part in view["health"]["parts"]}
    assert parts["support_sentiment"]["value"] == 0
    assert view["clv"]["expected_purchases_365d"] > 0
    listed = {t["name"]: t for t in (await stack.http.get("/v1/tags")).json()}
    assert listed["high_order_value"]["rule"] == "aov_12m >= 500"
    assert listed["high_order_value"]["holders"] == 1

    bad = await stack.http.put(
        "/v1/profile/config",
        json={"config": {"health_weights": {"recency": 90}}, "reason": "try"},
    )
    assert bad.status_code == 422 and "add up to 100" in bad.text
    weights = dict.fromkeys(
        ["recency", "frequency", "purchases", "support_resolution", "positive_feedback",
         "negative_feedback"], 0,
    )  # fmt: skip
    weights["support_sentiment"] = 100
    changed = await stack.http.put(
        "/v1/profile/config",
        json={"config": {"health_weights": weights}, "reason": "sentiment only"},
    )
    assert changed.status_code == 200 and changed.json()["version"] == 1
    await post_event(stack, customer_id, "page_viewed", {"page_type": "home"})
    await drain(stack)
    assert (await profile(stack, customer_id))["health"]["score"] == 0  # one negative ticket
    history = (await stack.http.get("/v1/profile/config/history")).json()
    assert [(v["version"], v["reason"]) for v in history] == [(1, "sentiment only")]
    assert history[0]["changed_by"] == "key:key-1"  # the key's name, never the key
    async with stack.sessions() as session:
        audited = await session.scalar(select(AuditRow).where(AuditRow.action == "profile.config"))
    assert audited is not None and audited.actor == "key:key-1"
    assert audited.outcome == "version 1" and audited.detail == {"reason": "sentiment only"}


async def test_a_customer_whose_update_fails_holds_back_no_one(profile_stack: Stack) -> None:
    stack = profile_stack
    good, bad = unique("good"), unique("bad")
    for customer_id in (good, bad):
        await put_customer(stack, customer_id)
        await post_event(stack, customer_id, "order_paid", {"order_id": unique("o"), "total": 900})
    async with stack.sessions.begin() as session:
        # A record the update cannot read (written around the API's validation).
        await session.execute(
            text("UPDATE customers SET timezone = 'Mars/Olympus' WHERE customer_id = :c"),
            {"c": bad},
        )
    tagger = updater(stack)
    assert await tagger.update_once() == 1
    assert tags(await profile(stack, good))["high_order_value"] is True
    async with stack.sessions() as session:
        assert await queued(session, bad) and not await queued(session, good)
    assert await tagger.update_once() == 0  # waiting out its backoff, still queued


async def test_anonymous_browsing_merges_at_signup_and_its_journey_moves(
    profile_stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    stack = profile_stack
    customer_id, device = unique("c"), unique("device")
    await put_customer(stack, customer_id, timezone=midday_timezone(), **INAPP)
    with temporal_env.with_time_skipping_disabled():
        body = {
            "event_id": unique("e"),
            "identity": {"device_id": device},
            "type": "product_viewed",
            "occurred_at": datetime.now(UTC).isoformat(),
            "properties": {"sku": "sku-1", "category": "shirts"},
        }
        viewed = await stack.http.post("/v1/events", json=body)
        assert viewed.status_code == 202, viewed.text
        [browse] = [j for j in viewed.json()["journeys"] if j["journey"] == "browse_abandonment"]
        anonymous = browse["workflow_id"].split(":", 1)[1]
        assert anonymous.startswith(ANONYMOUS_PREFIX)
        again = await stack.http.post(
            "/v1/events", json={**body, "event_id": unique("e"), "properties": {"sku": "s-2"}}
        )
        assert again.json()["journeys"][0]["workflow_id"] == browse["workflow_id"]  # same id

        response = await stack.http.post(
            "/v1/events",
            json={
                "event_id": unique("e"),
                "customer_id": customer_id,
                "identity": {"device_id": device},
                "type": "signup",
                "occurred_at": datetime.now(UTC).isoformat(),
                "properties": {},
            },
        )
        assert response.status_code == 202, response.text
        ended = await journey(stack, "browse_abandonment", anonymous).result()
        assert (ended.status, ended.ended_reason) == ("ended", "merged")
        moved = journey(stack, "browse_abandonment", customer_id)
        state = await run_to_end(temporal_env, moved)
    [reminder] = state.messages
    assert (reminder.customer_id, reminder.channel, reminder.status) == (
        customer_id, "inapp", "sent",
    )  # fmt: skip
    view = await profile(stack, customer_id)
    assert [(i["kind"], i["verified"]) for i in view["identities"]] == [("device", False)]
    assert [(m["merged_id"], m["outcome"], m["reason"]) for m in view["merges"]] == [
        (anonymous, "merged", "signup:device")
    ]
    async with stack.sessions() as session:
        left = await session.scalar(
            select(func.count()).select_from(EventRow).where(EventRow.customer_id == anonymous)
        )
    assert left == 0  # the history moved with the person
    timeline = (await stack.http.get(f"/v1/customers/{customer_id}/timeline")).json()
    kinds = {(entry["kind"], entry["workflow_id"]) for entry in timeline["items"]}
    assert ("identity_merged", None) in kinds
    # The anonymous run shows on the known customer's timeline, ended.
    assert ("journey_ended", f"browse_abandonment:{anonymous}") in kinds


async def test_two_known_customers_are_never_merged(profile_stack: Stack) -> None:
    stack = profile_stack
    first, second = unique("c"), unique("c")
    email = f"{first}@example.com"
    await put_customer(stack, first, email=email)
    event_id = unique("e")
    response = await stack.http.post(
        "/v1/events",
        json={
            "event_id": event_id,
            "customer_id": second,
            "identity": {"email": email, "verified": ["email"]},
            "type": "page_viewed",
            "occurred_at": datetime.now(UTC).isoformat(),
            "properties": {},
        },
    )
    assert response.status_code == 202
    view = await profile(stack, first)
    assert [(m["outcome"], m["reason"]) for m in view["merges"]] == [
        ("refused", "email_verified_for_another_customer")
    ]
    assert [i["kind"] for i in view["identities"]] == ["email"]
    async with stack.sessions() as session:
        stored = await session.get(EventRow, event_id)
    assert stored is not None and stored.customer_id == second
    assert email not in str(stored.properties)  # the identifiers go no further than their hash
    unknown = await stack.http.post(
        "/v1/events",
        json={"event_id": unique("e"), "type": "segment_entered", "customer_id": first,
              "occurred_at": datetime.now(UTC).isoformat(), "properties": {"segment": "x"}},
    )  # fmt: skip
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["field"] == "type"


async def test_entering_a_segment_starts_early_access(
    profile_stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    stack = profile_stack
    customer_id = unique("c")
    await put_customer(stack, customer_id, timezone=midday_timezone(), **INAPP)
    for days in (30, 10):
        await record_history(stack, customer_id, "order_paid",
                             {"order_id": unique("o"), "total": 800.0},
                             datetime.now(UTC) - days * DAY)  # fmt: skip
    with temporal_env.with_time_skipping_disabled():
        await post_event(stack, customer_id, "page_viewed", {"page_type": "new_arrivals"})
        await drain(stack)
        handle = journey(stack, "early_access", customer_id)
        state = await run_to_end(temporal_env, handle)
        await post_event(stack, customer_id, "page_viewed", {"page_type": "new_arrivals"})
        await drain(stack)  # still in the segment: no second entry
    [message] = state.messages
    assert (message.step, message.channel, message.status) == ("early_access", "inapp", "sent")
    # Asked twice: first deferred to the customer's active window, then sent in it.
    assert {asked.offer_id for asked in await prepared(handle)} == {"WB_NEW_ARRIVALS_EARLY_ACCESS"}
    await replay_and_keep(handle, "early_access_segment_entered")
    async with stack.sessions() as session:
        entries = list(await session.scalars(select(SegmentEntryRow)))
    assert [(e.customer_id, e.segment) for e in entries] == [
        (customer_id, "high_value_new_arrivals")
    ]
    assert entries[0].started_at is not None


async def test_the_daily_scan_starts_winback_in_the_right_tier(
    profile_stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    stack = profile_stack
    tiers = {"light": 35, "medium": 70, "heavy": 150}
    customers = {}
    for tier, days in tiers.items():
        customer_id = unique(tier)
        customers[tier] = customer_id
        await put_customer(stack, customer_id, timezone=midday_timezone(),
                           email=f"{customer_id}@example.com", consent={"email": True})  # fmt: skip
        for extra in (200, 0):
            await record_history(stack, customer_id, "order_paid",
                                 {"order_id": unique("o"), "total": 40.0},
                                 datetime.now(UTC) - (days + extra) * DAY)  # fmt: skip
    await record_history(stack, unique("active"), "order_paid", {"order_id": unique("o")},
                         datetime.now(UTC) - 3 * DAY)  # fmt: skip
    with temporal_env.with_time_skipping_disabled():
        result = await stack.client.execute_workflow(
            ProfileScanWorkflow.run,
            ScanInput(scan="daily", page_size=2, starts_per_second=50),
            id=unique("scan"),
            task_queue=stack.settings.task_queue,
        )
        assert (result.customers, result.entries, result.journeys) == (4, 3, 3)
        for tier, customer_id in customers.items():
            handle = journey(stack, "winback", customer_id)

            async def decided(handle: Any = handle) -> list[Any]:
                return await prepared(handle)

            [asked, *_] = await eventually(decided)
            assert (asked.winback_tier, asked.trigger_event.properties) == (tier, {"tier": tier})
            await handle.terminate("test over")
        again = await stack.client.execute_workflow(
            ProfileScanWorkflow.run, ScanInput(scan="daily"), id=unique("scan"),
            task_queue=stack.settings.task_queue,
        )  # fmt: skip
    assert (again.entries, again.journeys) == (0, 0)  # still dormant: no new entry


async def test_a_crash_mid_way_starts_no_journey_twice_and_skips_none(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    customers = [unique("seg") for _ in range(8)]
    now = datetime.now(UTC)
    async with stack.sessions.begin() as session:
        for customer_id in customers:
            session.add(
                SegmentEntryRow(
                    entry_id=entry_id("high_value_new_arrivals", customer_id, now),
                    customer_id=customer_id, segment="high_value_new_arrivals",
                    entered_at=now, cause="test", started_at=None,
                )
            )  # fmt: skip
    for customer_id in customers:
        await put_customer(stack, customer_id, timezone=midday_timezone(), **INAPP)
    starter = SegmentStarter(stack.sessions, stack.client, stack.settings.task_queue)
    ids = [entry_id("high_value_new_arrivals", c, now) for c in customers]

    with temporal_env.with_time_skipping_disabled():
        # A crash after three starts (one a second: the last is still to come)...
        started: list[str] = []

        def crash_after_three(entry: str) -> None:
            started.append(entry)
            if len(started) == 3:
                raise RuntimeError("worker died")

        with pytest.raises(ExceptionGroup):
            await starter.start_pending(100, 1.0, ids, on_start=crash_after_three)
        # ...and one between the journey's start and the records of it: stored, started, not
        # marked (as if the crash had come there for the last entry).
        async with stack.sessions() as session:
            last = await session.get(SegmentEntryRow, sorted(ids)[-1])
        assert last is not None and last.started_at is None
        event = entry_event(last)
        await store_and_claim(stack.sessions, event, now, ["early_access"])
        await start_journey(stack.client, stack.settings.task_queue, EARLY_ACCESS, event)
        half_done = stack.client.get_workflow_handle(f"early_access:{last.customer_id}")
        # Over before the resumed starter looks (the closed-run case); its clock runs free.
        await run_to_end(temporal_env, half_done)
        report = await starter.start_pending(100, 100.0, ids)
        assert report.started == len(ids) - len(started) and report.remaining == 0
        states = await asyncio.gather(
            *(run_to_end(temporal_env, journey(stack, "early_access", c)) for c in customers)
        )
    for customer_id, state in zip(customers, states, strict=True):
        runs = [
            run
            async for run in stack.client.list_workflows(
                f"WorkflowId = 'early_access:{customer_id}'"
            )
        ]
        assert len(runs) == 1, customer_id  # started once
        assert [m.status for m in state.messages] == ["sent"], customer_id  # skipped none


async def test_a_failed_update_is_retried_until_it_lands(tmp_path: Path) -> None:
    server = PgServer()
    server.init()
    server.start()
    try:
        await migrate(server.url)
        stack = Stack(make_settings(server.url, tmp_path), None)
        customers = [unique("c") for _ in range(5)]
        for customer_id in customers:
            event = Event(event_id=unique("e"), customer_id=customer_id,
                          type=EventType.ORDER_PAID, occurred_at=datetime.now(UTC),
                          properties={"order_id": unique("o"), "total": 700.0})  # fmt: skip
            await store_event(stack.sessions, event, datetime.now(UTC))
        tagger = updater(stack)
        server.stop()
        for _ in range(3):
            assert await tagger.update_once() == 0  # the store is gone: nothing lands...
        server.start()
        while await tagger.update_once():
            pass
        async with stack.sessions() as session:
            changes = list(
                await session.scalars(
                    select(TagChangeRow).where(TagChangeRow.tag == "high_order_value")
                )
            )
            waiting = [c for c in customers if await queued(session, c)]
        # ...and once it is back, every update lands, once.
        assert sorted(c.customer_id for c in changes) == sorted(customers)
        assert waiting == []
        await stack.close()
    finally:
        server.remove()


async def test_the_scans_are_scheduled_once(stack: Stack) -> None:
    for schedule_id in (PROFILE_BATCH_SCHEDULE_ID, DORMANCY_SCAN_SCHEDULE_ID):
        try:
            await stack.client.get_schedule_handle(schedule_id).delete()
        except Exception:
            pass  # a worker started by another test keeps it too: start clean
    settings = stack.settings.profile
    created = await ensure_profile_schedules(stack.client, stack.settings.task_queue, settings)
    again = await ensure_profile_schedules(stack.client, stack.settings.task_queue, settings)
    daily = await stack.client.get_schedule_handle(DORMANCY_SCAN_SCHEDULE_ID).describe()
    for schedule_id in created:
        await stack.client.get_schedule_handle(schedule_id).delete()
    assert (sorted(created), again) == (
        sorted([PROFILE_BATCH_SCHEDULE_ID, DORMANCY_SCAN_SCHEDULE_ID]),
        [],
    )
    assert daily.schedule.spec.calendars[0].hour[0].start == settings.dormancy_scan_hour_utc
