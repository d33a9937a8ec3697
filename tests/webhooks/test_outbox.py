"""The outbox and the alerts' counts on SQLite and PostgreSQL: a ledger row's events are
collected once each, in the order they happened, and counted per journey and channel; the
kill switch's subquery reads on both."""

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from alerts.evaluate import evaluate_alerts
from alerts.settings import AlertSettings
from guardrails import FeedbackRules, GuardrailSettings
from models.customers import CustomerProfile
from models.receipts import Receipt, ReceiptType
from models.tables import ProfileQueueRow, RecommendedItemRow, WebhookEventRow
from storage.customers import lock_for_decision, upsert_customer
from storage.data_subject import erase_customer
from storage.database import create_engine, migrate, session_factory
from storage.feedback import ReceiptOutcome, record_receipt
from storage.journey_entries import add_entry
from storage.profiles import apply_tags
from storage.switches import Switch, set_switch
from storage.webhooks import (
    Endpoint,
    WebhookEvent,
    add_endpoint,
    list_dead_letters,
    max_seq,
    replay_dead_letter,
)
from tests.conftest import postgres_database, unique
from tests.reports import seed
from tests.webhooks.receiver import Receiver
from webhooks.collect import collect_events, in_order
from webhooks.completed import ClosedJourney, closed_journeys
from webhooks.delivery import WebhookSender
from webhooks.events import journey_completed
from webhooks.settings import WebhookSettings
from webhooks.signing import new_secret


@pytest.fixture(params=["sqlite", "postgres"])
async def sessions(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A database of its own: the alerts judge every send in it, and may pause journeys."""
    async with contextlib.AsyncExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_path / 'outbox.db'}"
            await migrate(url)
        else:
            url = await stack.enter_async_context(postgres_database("journeys_outbox"))
        engine = create_engine(url)
        yield session_factory(engine)
        await engine.dispose()


async def test_a_ledger_rows_events_are_collected_once_in_order(
    sessions: async_sessionmaker[AsyncSession], temporal_env: WorkflowEnvironment
) -> None:
    closed = closed_journeys(temporal_env.client)
    customer_id, now = unique("c"), datetime.now(UTC)
    sent = seed.message(customer_id, now - timedelta(minutes=3), journey="welcome")
    sent.delivered_at = now - timedelta(minutes=2)
    sent.opened_at = now - timedelta(minutes=1)
    deferred = seed.message(
        customer_id, now - timedelta(minutes=4), journey="welcome", status="deferred"
    )
    async with sessions.begin() as session:
        session.add_all([sent, deferred])
    await collect_events(sessions, now, timedelta(minutes=15), closed)
    assert await collect_events(sessions, now, timedelta(minutes=15), closed) == 0  # nothing new
    async with sessions() as session:
        rows = (
            await session.scalars(
                select(WebhookEventRow)
                .where(WebhookEventRow.customer_id == customer_id)
                .order_by(WebhookEventRow.seq)
            )
        ).all()
    assert [row.event_id for row in rows] == [
        f"message.deferred:{deferred.message_id}",
        f"message.sent:{sent.message_id}",
        f"message.opened:{sent.message_id}",
    ]
    assert rows[1].data["journey"] == "welcome" and "email" not in rows[1].data.get("to", "")
    # Erasing the customer erases their events from the outbox too.
    assert (await erase_customer(sessions, customer_id))["webhook_events"] == 3


async def test_a_receipt_that_arrives_hours_after_the_open_it_reports_is_still_published(
    sessions: async_sessionmaker[AsyncSession], temporal_env: WorkflowEnvironment
) -> None:
    """Providers batch and retry their receipts: an open that happened two hours ago, reported
    now, long after the collection that published the send, is published by the next one (the
    collector reads what was written since, not what happened since)."""
    closed = closed_journeys(temporal_env.client)
    customer_id, now = unique("c"), datetime.now(UTC)
    sent = seed.message(customer_id, now - timedelta(hours=3), journey="welcome")
    async with sessions.begin() as session:
        session.add(sent)
    await collect_events(sessions, now, timedelta(minutes=15), closed)
    opened = Receipt(
        receipt_id=unique("r"),
        type=ReceiptType.OPENED,
        message_id=sent.message_id,
        occurred_at=now - timedelta(hours=2),
    )
    result = await record_receipt(
        sessions, "email", opened, now, FeedbackRules(GuardrailSettings())
    )
    assert result.outcome is ReceiptOutcome.APPLIED

    assert await collect_events(sessions, datetime.now(UTC), timedelta(minutes=15), closed) == 1
    async with sessions() as session:
        published = await session.scalar(
            select(WebhookEventRow).where(
                WebhookEventRow.event_id == f"message.opened:{sent.message_id}"
            )
        )
    assert published is not None and published.occurred_at == now - timedelta(hours=2)


async def test_rows_written_late_with_an_earlier_time_are_still_published(
    sessions: async_sessionmaker[AsyncSession], temporal_env: WorkflowEnvironment
) -> None:
    """A profile scan stamps every tag change with the time its run started, and a journey's
    entry is stamped when the workflow asked, however long the activity took: rows written
    after a collection with times older than its window are published by the next one."""
    closed = closed_journeys(temporal_env.client)
    customer_id, now = unique("c"), datetime.now(UTC)
    await collect_events(sessions, now, timedelta(minutes=15), closed)
    an_hour_ago = now - timedelta(hours=1)
    async with sessions.begin() as session:
        await apply_tags(
            session, customer_id, {}, {"vip": True}, [("vip", 1)], "scan:test", an_hour_ago
        )
        add_entry(
            session,
            run_id=unique("run"),
            customer_id=customer_id,
            journey="welcome",
            workflow_id=f"welcome:{customer_id}",
            trigger_event_id=unique("e"),
            entered_at=an_hour_ago,
        )

    assert await collect_events(sessions, datetime.now(UTC), timedelta(minutes=15), closed) == 2
    async with sessions() as session:
        published = await session.scalars(
            select(WebhookEventRow.type).where(WebhookEventRow.customer_id == customer_id)
        )
        assert sorted(published) == ["journey.started", "tag.changed"]


async def test_alert_counts_and_the_switch_subquery_run_on_both_databases(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    journey, now = unique("j")[:40], datetime.now(UTC)
    rows = []
    for n in range(4):
        row = seed.message(unique("c"), now - timedelta(minutes=10), journey=journey)
        row.delivered_at = now - timedelta(minutes=10)
        row.complained_at = now - timedelta(minutes=5) if n < 2 else None
        rows.append(row)
    async with sessions.begin() as session:
        session.add_all(rows)
    settings = AlertSettings(min_volume=4, complaint_rate=0.3, pause_on_complaints=True)
    changes = await evaluate_alerts(sessions, now, settings)
    mine = [c for c in changes if c.alert.scope.get("journey") == journey]
    assert [(c.change, c.alert.value, c.alert.action) for c in mine] == [
        ("raised", 0.5, "paused_journey")
    ]
    customer_id = unique("c")
    async with sessions.begin() as session:
        await set_switch(session, Switch("channel:sms", True, "test", "test", now))
        await upsert_customer(session, customer_id, CustomerProfile(), now)
    async with sessions.begin() as session:
        found, _ = await lock_for_decision(session, customer_id, None, journey)
        other, _ = await lock_for_decision(session, customer_id, "cart-1", "welcome")
    assert found is not None and other is not None
    assert set(found.paused.split(",")) >= {f"journey:{journey}", "channel:sms"}
    assert f"journey:{journey}" not in other.paused.split(",")
    # An hour later nothing is measurable: the alert clears.
    later = await evaluate_alerts(sessions, now + timedelta(hours=2), settings)
    assert any(c.change == "cleared" and c.alert.scope.get("journey") == journey for c in later)


async def test_tag_sync_lag_and_recommendation_click_through_raise_and_clear(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    now = datetime.now(UTC)
    settings = AlertSettings(
        min_volume=2, complaint_rate=None, recommendation_ctr_tolerance=0.5, tag_sync_lag_seconds=5
    )
    customer_id = unique("c")
    # Two picks of 40 days ago, both clicked (the baseline); two of five minutes ago, neither.
    earlier = [seed.message(unique("c"), now - timedelta(days=40)) for _ in range(2)]
    carried = [seed.message(unique("c"), now - timedelta(minutes=5)) for _ in range(2)]
    async with sessions.begin() as session:
        session.add(
            ProfileQueueRow(
                customer_id=customer_id,
                cause="e-1",
                queued_at=now - timedelta(seconds=9),
                due_at=now - timedelta(seconds=9),
                attempts=0,
            )
        )
        for row in [*earlier, *carried]:
            row.delivered_at = row.created_at
            session.add(row)
        await session.flush()
        for row in [*earlier, *carried]:
            session.add(
                RecommendedItemRow(
                    message_id=row.message_id,
                    product_id="p-1",
                    customer_id=row.customer_id,
                    rank=1,
                    kind="neighbour",
                    reason_code="bought_together",
                    explored=False,
                    model_version="v1",
                    recommended_at=row.created_at,
                    clicked_at=row.created_at + timedelta(minutes=1) if row in earlier else None,
                )
            )
    raised = await evaluate_alerts(sessions, now, settings)
    assert sorted((c.change, c.alert.threshold) for c in raised) == [
        ("raised", "recommendation_ctr_drift"),
        ("raised", "tag_sync_lag_seconds"),
    ]
    async with sessions.begin() as session:
        await session.execute(delete(ProfileQueueRow))
        await session.execute(
            update(RecommendedItemRow)
            .where(RecommendedItemRow.message_id.in_([r.message_id for r in carried]))
            .values(clicked_at=now)
        )
    cleared = await evaluate_alerts(sessions, now + timedelta(seconds=1), settings)
    assert sorted((c.change, c.alert.threshold) for c in cleared) == [
        ("cleared", "recommendation_ctr_drift"),
        ("cleared", "tag_sync_lag_seconds"),
    ]


async def test_a_delivery_pass_sends_backs_off_dead_letters_and_replays_on_both_databases(
    sessions: async_sessionmaker[AsyncSession], temporal_env: WorkflowEnvironment
) -> None:
    receiver, now = Receiver(), datetime.now(UTC)
    await receiver.start()
    receiver.secret = new_secret()
    async with sessions.begin() as session:
        await add_endpoint(
            session,
            Endpoint(
                "we_" + "1" * 20,
                receiver.url,
                ["message.sent"],
                receiver.secret,
                "",
                await max_seq(session),
                None,
                0,
                None,
                now,
            ),
        )
    first, second = (seed.message(unique("c"), now, journey="welcome") for _ in range(2))
    for row in (first, second):
        row.delivered_at = now
    async with sessions.begin() as session:
        session.add(first)
    async with httpx.AsyncClient() as http:
        sender = WebhookSender(
            sessions, http, WebhookSettings(), closed_journeys(temporal_env.client)
        )
        result = await sender.deliver_pass("we_" + "1" * 20, now)
        assert (result.delivered, result.failures) == (1, 0)
        assert receiver.ids() == [f"message.sent:{first.message_id}"]

        receiver.status = 503
        async with sessions.begin() as session:
            session.add(second)
        failing = await sender.deliver_pass("we_" + "1" * 20, now)
        assert (failing.failures, failing.wait_seconds) == (1, 5.0)
        again = await sender.deliver_pass("we_" + "1" * 20, now + timedelta(minutes=1))
        assert (again.failures, again.wait_seconds) == (2, 10.0)
        dead = await sender.deliver_pass("we_" + "1" * 20, now + timedelta(hours=24))
        assert (dead.failures, dead.delivered) == (0, 0)
        async with sessions.begin() as session:
            letters = await list_dead_letters(session, "we_" + "1" * 20)
            assert [(d.event_id, d.error, d.failures) for d in letters] == [
                (f"message.sent:{second.message_id}", "HTTP 503", 3)
            ]
            assert await replay_dead_letter(session, "we_" + "1" * 20, letters[0].seq)
        receiver.status = 200
        await sender.deliver_pass("we_" + "1" * 20, now + timedelta(hours=25))
    assert receiver.ids() == [f"message.sent:{m.message_id}" for m in (first, second)]
    async with sessions() as session:
        assert [d.state for d in await list_dead_letters(session)] == ["replayed"]
    await receiver.stop()


def test_a_journeys_end_is_numbered_after_its_runs_events_whatever_the_clocks_say() -> None:
    # The worker's clock a little ahead of Temporal's: the last send is stamped after the close.
    closed_at = datetime.now(UTC)
    run = ClosedJourney(
        "run-1",
        "welcome:c-1",
        "welcome",
        "c-1",
        "completed",
        closed_at - timedelta(days=6),
        closed_at,
    )
    ended = journey_completed(run)
    last_send = WebhookEvent(
        "message.sent:m-2",
        "message.sent",
        "c-1",
        closed_at + timedelta(milliseconds=40),
        {"workflow_id": "welcome:c-1"},
    )
    first_send = replace(last_send, event_id="message.sent:m-1", occurred_at=run.started_at)
    other = replace(
        last_send,
        event_id="message.sent:m-3",
        occurred_at=closed_at + timedelta(seconds=1),
        data={"workflow_id": "winback:c-1"},
    )
    ordered = in_order([ended, other, last_send, first_send])
    assert [event.event_id for event in ordered] == [
        "message.sent:m-1",
        "message.sent:m-2",
        "journey.completed:run-1",
        "message.sent:m-3",  # another run's, later: not held back
    ]
