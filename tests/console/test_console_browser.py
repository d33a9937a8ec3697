"""The console in a real browser (Playwright driving Debian's chromium): sign in, find a
customer by email, read their timeline and the message they received; preview a journey and see
the words change with the profile's consent; retry a failed journey from the Failures page;
pause and resume a journey and replay a webhook's dead letter from Alerts & switches."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from channels.personalise import message_coupon_code
from channels.setup import tracking_secret
from journeys.runs import JourneyState
from models.tables import AuditRow
from storage.switches import list_switches
from storage.webhooks import Endpoint, add_endpoint, list_dead_letters, max_seq
from tests.conftest import Stack, unique
from tests.console.browser import chromium, screenshot, served, sign_in
from tests.journey_helpers import abandon_a_cart, midday_timezone
from tests.ops.broken_journey import BrokenCartAbandonment
from tests.ops.helpers import start_cart_journey
from tests.reports import seed
from tests.webhooks.receiver import Receiver
from webhooks.collect import collect_events
from webhooks.completed import closed_journeys
from webhooks.delivery import WebhookSender
from webhooks.settings import WebhookSettings
from webhooks.signing import new_secret
from workers.build import build_worker


async def test_sign_in_search_by_email_and_read_the_timeline(stack: Stack) -> None:
    email = f"{unique('ada')}@example.com"
    customer_id, state = await abandon_a_cart(
        stack, "Linen shirt", email=email, consent={"email": True, "inapp": True}
    )
    sent = [m for m in state.messages if m.status == "sent"]
    assert sent and sent[0].content is not None
    words = sent[0].content.title

    async with served(stack.app) as base_url, chromium() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await sign_in(page, base_url, "/console/journeys")
        assert await page.locator("table a", has_text="cart_abandonment").count() == 1
        await screenshot(page, "journeys")
        await page.click("text=cart_abandonment")
        assert await page.locator("svg.graph g[data-step=stage_1]").count() == 1
        await screenshot(page, "journey-graph")

        await page.click("nav >> text=Customers")
        await page.fill("input[name=contact]", email.upper())
        await page.click("form.search button")
        await page.wait_for_url(f"{base_url}/console/customers/{customer_id}")
        timeline = page.locator("section.timeline")
        assert await timeline.locator("tr.message_decided").count() == len(state.messages)
        assert "stage_1: sent" in await timeline.inner_text()
        card = page.locator(f"article[data-message='{sent[0].message_id}'] .card")
        assert words in await card.inner_text()
        link = await timeline.locator("a", has_text="Web UI").first.get_attribute("href")
        assert link is not None and link.startswith(
            f"{stack.settings.temporal_web_url}/namespaces/default/workflows/"
            f"cart_abandonment%3A{customer_id}/"
        )
        assert email not in await page.content()  # only "email ✓"
        # Filled as delivery fills them: the message's own coupon code, no placeholder left.
        shown = await page.locator("section.messages").inner_text()
        assert "{{" not in shown
        coded = [m for m in sent if m.content and "{{coupon_code}}" in m.content.body]
        secret = tracking_secret(stack.settings).get_secret_value()
        assert coded  # stage_3 carries a code of its own
        for message in coded:
            assert message_coupon_code(secret, message.message_id) in shown
        await screenshot(page, "customer")

        # Results: the report page of reports/, framed through a signed link, on the same nav.
        await page.click("nav >> text=Results")
        report = page.frame_locator("iframe.report")
        await report.locator("h2#funnel").wait_for()
        assert "cart_abandonment" in await report.locator("body").inner_text()
        await screenshot(page, "results")


@pytest.mark.timeout(420)
async def test_a_preview_shows_what_would_be_sent_and_what_consent_stops(stack: Stack) -> None:
    async with served(stack.app) as base_url, chromium() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await sign_in(page, base_url, "/console/preview")
        # The example: a cart paid 2 h after it was left; the customer consents to every channel.
        # The simulation starts now: in the example's own zone (Asia/Shanghai) the 30-minute
        # reminder falls in quiet hours whenever the test runs after 13:30 UTC, and waits past
        # the payment. A zone where it is about noon keeps the run independent of the hour.
        zone = midday_timezone()
        profile = await page.input_value("textarea[name=profile]")
        assert '"timezone": "Asia/Shanghai"' in profile
        await page.fill("textarea[name=profile]", profile.replace("Asia/Shanghai", zone))
        await page.click("form.preview button[type=submit]")
        await page.wait_for_selector("#job.running")  # the page polls while it runs
        await page.wait_for_selector("#job.done", timeout=200_000)
        assert f"time zone {zone}" in await page.locator("#job").inner_text()
        sent = page.locator("tr.sent")
        assert await sent.count() == 1
        row = await sent.inner_text()
        assert "inapp" in row and "Your cart is saved" in row and "stage_1" in row
        assert "+0d 00:30" in row
        assert "exited" in await page.locator(".outcome").inner_text()
        await screenshot(page, "preview")

        # The same customer without consent: nothing would go out, and the page says why.
        profile = await page.input_value("textarea[name=profile]")
        withdrawn = profile.replace('"inapp": true', '"inapp": false').replace(
            '"email": true', '"email": false'
        )
        withdrawn = withdrawn.replace('"sms": true', '"sms": false').replace(
            '"wechat": true', '"wechat": false'
        )
        await page.fill("textarea[name=profile]", withdrawn)
        await page.click("form.preview button[type=submit]")
        await page.wait_for_selector("#job.running")  # the first result is gone
        await page.wait_for_selector("#job.done", timeout=200_000)
        assert await page.locator("tr.sent").count() == 0
        stopped = page.locator("tr.suppressed")
        assert await stopped.count() == 1
        assert "stopped: suppressed: no_consent" in await stopped.inner_text()


async def test_a_failed_journey_is_retried_from_the_failures_page(
    stack: Stack, temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    client = temporal_env.client
    queue = f"broken-{uuid.uuid4()}"
    customer_id = unique("c")
    # A broken release fails the journey on its first workflow task.
    async with Worker(client, task_queue=queue, workflows=[BrokenCartAbandonment]):
        broken = await start_cart_journey(client, queue, customer_id, unique("kind"))
        with pytest.raises(WorkflowFailureError):
            await broken.result()
    failed_run = broken.result_run_id

    async with served(stack.app) as base_url, chromium() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await sign_in(page, base_url, "/console/failures")
        row = page.locator(f"table.failed tr[data-workflow-id='{broken.id}']")
        assert "broken release" in await row.inner_text()
        await screenshot(page, "failures")
        await row.locator("button", has_text="Retry").click()
        await page.wait_for_selector("p.done")
        new_run = await page.locator("code.new-run").inner_text()
        assert f"reset of {broken.id}" in await page.locator("p.done").inner_text()

    handle = client.get_workflow_handle(broken.id, result_type=JourneyState)
    described = await handle.describe()
    assert described.run_id == new_run != failed_run
    assert described.status == WorkflowExecutionStatus.RUNNING
    async with stack.sessions() as session:
        [audit] = await session.scalars(select(AuditRow).where(AuditRow.target == broken.id))
    assert (audit.actor, audit.action, audit.outcome) == ("key:key-1", "journey.reset", "ok")
    assert audit.detail["new_run_id"] == new_run

    # The fixed release picks the reset run up: the journey walks on from where it failed.
    fixed = stack.settings.model_copy(update={"task_queue": queue})
    async with build_worker(client, fixed, stack.sessions):
        state = await handle.result()
    assert state.customer_id == customer_id and state.status != "running"


async def test_pause_and_resume_a_journey_and_replay_a_dead_letter_from_the_alerts_page(
    stack: Stack,
) -> None:
    endpoint_id, started = "we_" + uuid.uuid4().hex[:20], datetime.now(UTC)
    # An endpoint that answers 503 for a day: the event of a sent message is dead-lettered.
    receiver = Receiver()
    await receiver.start()
    receiver.secret, receiver.status = new_secret(), 503
    # The events of earlier tests' messages are collected first: the endpoint starts after them.
    await collect_events(
        stack.sessions,
        started,
        timedelta(minutes=WebhookSettings().overlap_minutes),
        closed_journeys(stack.client),
    )
    async with stack.sessions.begin() as session:
        await add_endpoint(
            session,
            Endpoint(
                endpoint_id,
                receiver.url,
                ["message.sent"],
                receiver.secret,
                "",
                await max_seq(session),
                None,
                0,
                None,
                started,
            ),
        )
        sent = seed.message(unique("c"), started, journey="welcome")
        sent.delivered_at = started
        session.add(sent)
    event_id = f"message.sent:{sent.message_id}"
    http = httpx.AsyncClient()
    sender = WebhookSender(stack.sessions, http, WebhookSettings(), closed_journeys(stack.client))
    for after in (timedelta(0), timedelta(minutes=1), timedelta(hours=24)):
        await sender.deliver_pass(endpoint_id, started + after)
    async with stack.sessions() as session:
        letters = await list_dead_letters(session, endpoint_id)
    [seq] = [letter.seq for letter in letters if letter.event_id == event_id]

    async with served(stack.app) as base_url, chromium() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await sign_in(page, base_url, "/console/journeys")
        await page.click("nav >> text=Alerts & switches")
        row = page.locator("table.switches tr[data-switch='journey:low_stock']")
        assert (await row.locator("td.state").inner_text()) == "sending"
        await row.locator("input[name=reason]").fill("complaint spike, reviewing")
        await row.locator("button", has_text="Pause").click()
        await page.wait_for_selector("p.done")
        assert "paused journey:low_stock" in await page.locator("p.done").inner_text()
        row = page.locator("table.switches tr[data-switch='journey:low_stock']")
        assert (await row.locator("td.state").inner_text()) == "paused"
        assert "complaint spike, reviewing" in await row.inner_text()
        await screenshot(page, "alerts")
        async with stack.sessions() as session:
            assert {s.switch_id for s in await list_switches(session) if s.paused} >= {
                "journey:low_stock"
            }
        await row.locator("button", has_text="Resume").click()
        await page.wait_for_selector("p.done >> text=resumed journey:low_stock")
        row = page.locator("table.switches tr[data-switch='journey:low_stock']")
        assert (await row.locator("td.state").inner_text()) == "sending"

        letter = page.locator(f"table.dead-letters tr[data-letter='{endpoint_id}/{seq}']")
        assert "HTTP 503" in await letter.inner_text() and event_id in await letter.inner_text()
        await letter.locator("button", has_text="Replay").click()
        await page.wait_for_selector(f"p.done >> text=replay of event {seq}")
        letter = page.locator(f"table.dead-letters tr[data-letter='{endpoint_id}/{seq}']")
        assert (await letter.locator("td.state").inner_text()) == "replay asked"
        assert await letter.locator("button").count() == 0

        # The endpoint is back; the delivery's next pass sends the replayed event, once.
        receiver.status = 200
        await sender.deliver_pass(endpoint_id, started + timedelta(hours=25))
        await page.reload()
        assert (await letter.locator("td.state").inner_text()) == "replayed"
    await http.aclose()
    await receiver.stop()
    assert receiver.ids().count(event_id) == 1

    async with stack.sessions() as session:
        actions = [
            (row.action, row.target)
            for row in await session.scalars(
                select(AuditRow)
                .where(
                    AuditRow.target.in_(["journey:low_stock", f"{endpoint_id}/{seq}"]),
                    AuditRow.at >= started,
                )
                .order_by(AuditRow.at)
            )
        ]
    assert actions == [
        ("switch.pause", "journey:low_stock"),
        ("switch.resume", "journey:low_stock"),
        ("webhook.replay", f"{endpoint_id}/{seq}"),
    ]
