"""Outcomes per pick, end to end: a click on a pick's link in the message records that pick's
click; an order containing a recommended product records that pick's order; the report counts
them per kind; the monthly job (a Temporal Schedule) reads the click-through against its
baseline by the one alarm rule the alerts raise and clear (alerts.thresholds), and retrains the
model with the lab trainer."""

import csv
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from temporalio.testing import WorkflowEnvironment

from activities.recommendations import MonthlyRun
from alerts.evaluate import evaluate_alerts
from alerts.thresholds import RECOMMENDATION_CTR
from models.tables import RecommendedItemRow
from recommendations.outcomes import attribute_orders
from recommendations.settings import RecommendationSettings
from reports.period import Period
from reports.pick_outcomes import pick_outcomes
from storage import recommendations as store
from storage.alerts import open_alerts
from tests.conftest import unique
from tests.journey_helpers import journey, post_event, record_history, run_to_end
from tests.recommendations.send_rig import PRODUCTS, outbox, picks_stack, recorded, shopper
from tests.smtp_server import SmtpSink
from workers.schedules import RETRAIN_SCHEDULE_ID, ensure_retrain_schedule
from workflows.recommendation_retrain import RecommendationRetrainWorkflow

pytestmark = pytest.mark.timeout(300)
BASKETS = Path(__file__).resolve().parents[3] / "shared" / "data" / "completejourney_baskets.csv"
LINK = re.compile(r"http://[^\s]+/t/c/([A-Za-z0-9_\-]+)")


async def test_a_click_and_an_order_are_recorded_on_their_pick_and_reported(
    temporal_env: WorkflowEnvironment, tmp_path: Path, smtp: SmtpSink
) -> None:
    async with picks_stack(temporal_env, tmp_path, smtp) as (stack, _):
        customer_id = await shopper(stack, consent={"inapp": True})
        await post_event(stack, customer_id, "product_viewed", {"sku": "cereal"})
        state = await run_to_end(temporal_env, journey(stack, "browse_abandonment", customer_id))
        message_id = state.messages[0].message_id
        [sent] = await outbox(stack, customer_id)
        picks = await recorded(stack, message_id)

        # The customer taps the second pick's link: it leads to that product.
        second_line = next(
            line for line in sent.body.splitlines() if PRODUCTS[picks[1].product_id][0] in line
        )
        token = LINK.search(second_line)
        assert token is not None, second_line
        response = await stack.http.get(f"/t/c/{token.group(1)}", follow_redirects=False)
        assert response.status_code == 302
        assert f"/products/{picks[1].product_id}?" in response.headers["location"]
        # Two days later they buy the third pick (and something else).
        bought_at = picks[2].recommended_at + timedelta(days=2)
        order = {
            "order_id": "o-77",
            "total": 9.0,
            "items": [{"sku": picks[2].product_id, "quantity": 1}, {"sku": "cereal"}],
        }
        await record_history(stack, customer_id, "order_paid", order, bought_at)
        period = Period(
            since=picks[0].recommended_at - timedelta(hours=1),
            until=picks[0].recommended_at + timedelta(hours=1),
        )
        async with stack.sessions.begin() as session:
            assert await attribute_orders(session, period.since, period.until) == 1
            report = await pick_outcomes(session, period)
        after = await recorded(stack, message_id)

    assert [p.clicked_at is not None for p in after] == [False, True, False, False][: len(after)]
    assert [p.order_id for p in after] == [None, None, "o-77", None][: len(after)]
    total = report[-1]
    assert (total.kind, total.shown, total.clicked, total.ordered) == ("all", len(after), 1, 1)
    by_kind = {(row.kind, row.explored): row for row in report[:-1]}
    assert by_kind[(after[1].kind, after[1].explored)].clicked == 1
    assert sum(row.shown for row in report[:-1]) == len(after)


def small_baskets(path: Path, households: int = 40) -> Path:
    """The shared baskets of a few households: the real trainer, in seconds."""
    with BASKETS.open(newline="") as source:
        reader = csv.DictReader(source)
        rows = list(reader)
    keep = set(sorted({r["customer_id"] for r in rows})[:households])
    with path.open("w", newline="") as target:
        writer = csv.DictWriter(target, fieldnames=reader.fieldnames or [])
        writer.writeheader()
        writer.writerows(r for r in rows if r["customer_id"] in keep)
    return path


def seeded_picks(now: datetime, days_ago: int, shown: int, clicked: int) -> list[dict]:
    at = now - timedelta(days=days_ago)
    return [
        {
            "message_id": unique("m"),
            "product_id": "milk",
            "customer_id": unique("c"),
            "rank": 1,
            "kind": "complement",
            "reason_code": "bought_with",
            "explored": False,
            "model_version": "tiny",
            "recommended_at": at,
            "clicked_at": at + timedelta(minutes=5) if n < clicked else None,
        }
        for n in range(shown)
    ]


async def test_a_click_through_drop_is_one_alert_the_monthly_job_reports_and_it_retrains(
    temporal_env: WorkflowEnvironment, tmp_path: Path, smtp: SmtpSink
) -> None:
    settings = RecommendationSettings(retrain_data=small_baskets(tmp_path / "baskets.csv"))
    async with picks_stack(temporal_env, tmp_path, smtp, recommendations=settings) as (stack, _):
        async with stack.sessions() as session:
            before = await store.active_version(session)
        now = datetime.now(UTC)  # a new run's virtual clock starts at the wall clock
        # The baseline months: 20 % of picks clicked; the last month: 5 %.
        async with stack.sessions.begin() as session:
            await store.record_recommended(session, seeded_picks(now, 60, 60, 12))
            recent = seeded_picks(now, 10, 60, 3)
            await store.record_recommended(session, recent)

        run = await stack.client.execute_workflow(
            RecommendationRetrainWorkflow.run,
            id=unique("retrain"),
            task_queue=stack.settings.task_queue,
            result_type=MonthlyRun,
        )
        async with stack.sessions() as session:
            active = await store.active_version(session)
            versions = [row.version for row in await store.loaded_versions(session)]

        # The alerts' evaluation raises the same rule's alert (console, email, webhook) ...
        alert_settings = stack.settings.alerts
        await evaluate_alerts(stack.sessions, now, alert_settings)
        async with stack.sessions() as session:
            [alert] = [a for a in await open_alerts(session) if a.threshold == RECOMMENDATION_CTR]
        assert alert.value == 0.05
        assert alert.limit == pytest.approx(alert_settings.recommendation_ctr_tolerance * 0.2)
        # ... and clears it once the recent picks' click-through is back.
        async with stack.sessions.begin() as session:
            await session.execute(
                update(RecommendedItemRow)
                .where(RecommendedItemRow.message_id.in_([p["message_id"] for p in recent]))
                .values(clicked_at=now)
            )
        cleared = await evaluate_alerts(stack.sessions, now + timedelta(seconds=1), alert_settings)
        assert [(c.change, c.alert.alert_id) for c in cleared] == [("cleared", alert.alert_id)]

    assert run.outcomes.alerted
    assert (run.outcomes.click_through, run.outcomes.baseline_click_through) == (0.05, 0.2)
    # The new version is active; the one it replaced is kept for a rollback.
    assert run.trained.switched and run.trained.rows > 0
    assert active == run.trained.version != before
    assert set(versions) == {before, active}


async def test_the_retraining_schedule_is_monthly_and_made_once(
    temporal_env: WorkflowEnvironment,
) -> None:
    client, queue = temporal_env.client, unique("tq")
    settings = RecommendationSettings()
    assert await ensure_retrain_schedule(client, queue, settings)
    assert not await ensure_retrain_schedule(client, queue, settings)  # a second worker
    handle = client.get_schedule_handle(RETRAIN_SCHEDULE_ID)
    try:
        described = await handle.describe()
        [calendar] = described.schedule.spec.calendars
        assert [(r.start, r.end) for r in calendar.day_of_month] == [(1, 1)]
        assert [(r.start, r.end) for r in calendar.hour] == [(3, 3)]
        assert described.schedule.action.workflow == "RecommendationRetrain"
    finally:
        await handle.delete()
