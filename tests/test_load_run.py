"""The load run (bench/load_run.py) at a small size, and its checker shown to catch violations.

The full size (1,000 customers for minutes) is a documented command; here 30 customers post a
shop's mix for 15 s through the API against the real worker, and the same checks must pass.
"""

import asyncio
import random
from datetime import UTC, datetime
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from bench.load_run import Posted, check, create_customers, ledger_summary, post_events
from models.channels import Channel
from models.messages import MessageDecision, MessageStatus
from storage.ledger import ledger_row
from tests.conftest import Stack, make_settings, unique
from workers.build import build_worker


async def test_a_short_load_run_loses_repeats_and_overshoots_nothing(
    temporal_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path
) -> None:
    stack = Stack(make_settings(sqlite_url, tmp_path), temporal_env.client)
    customers = [unique("load") for _ in range(30)]
    with temporal_env.with_time_skipping_disabled():
        async with build_worker(temporal_env.client, stack.settings, stack.sessions):
            await create_customers(stack.http, customers, random.Random(3))
            posted = await post_events(stack.http, customers, 15, 6, progress=lambda _: None)
            await asyncio.sleep(10)  # sends already due go out
            violations = await check(
                posted, customers, temporal_env.client, stack.sessions, stack.settings.guardrails
            )
            ledger = await ledger_summary(stack.sessions)
    assert violations == []
    assert len(posted.accepted) > 50 and posted.repeats, "the run posted too little to prove much"
    assert set(posted.statuses) == {202}
    assert ledger.get(MessageStatus.SENT, 0) > 0
    await stack.close()


async def test_the_checker_reports_what_it_is_there_to_catch(
    temporal_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path
) -> None:
    stack = Stack(make_settings(sqlite_url, tmp_path), temporal_env.client)
    customer = unique("over")
    await create_customers(stack.http, [customer], random.Random(5))
    async with stack.sessions.begin() as session:
        for n in range(stack.settings.guardrails.daily_cap + 1):
            decision = MessageDecision(
                message_id=unique("m"),
                idempotency_key=unique("k"),
                customer_id=customer,
                journey="welcome",
                workflow_id=f"welcome:{customer}",
                step=f"step_{n}",
                trigger_event_id=unique("e"),
                channel=Channel.INAPP,
                status=MessageStatus.SENT,
                reason="delivered",
                created_at=datetime.now(UTC),
            )
            session.add(ledger_row(decision))
    posted = Posted()
    posted.accepted["never-stored"] = {"event_id": "never-stored", "journeys": []}
    posted.repeats.append(("never-stored", {"duplicate": False}))

    violations = await check(
        posted, [customer], temporal_env.client, stack.sessions, stack.settings.guardrails
    )

    assert "accepted but not stored: never-stored" in violations
    assert "a repeat of never-stored was not answered as a duplicate" in violations
    assert any(v.startswith(f"{customer} got 4 messages in the day") for v in violations)
    assert sum("has 0 outbox copies" in v for v in violations) >= 4
    await stack.close()
