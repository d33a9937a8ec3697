"""PostgreSQL stopped for 30 s while journeys send: nothing accepted that was not stored, and
after it comes back every journey sends its message exactly once.

The database is a PostgreSQL server of this test's own (tests/pg_server.py), stopped as a crash
would stop it; the shared one stays up. Real time: the activities' retries need it to pass.
"""

import asyncio
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from journeys.runs import JourneyState
from models.messages import MessageStatus
from models.tables import EventRow, MessageRow
from storage.database import migrate
from tests.conftest import Stack, eventually, make_settings, unique
from tests.journey_helpers import event_body, midday_timezone, put_customer
from tests.pg_server import PgServer
from tests.smtp_server import SmtpSink
from workers.build import build_worker

OUTAGE_SECONDS = 30


async def test_postgres_stopped_for_30_s_loses_and_repeats_nothing(
    temporal_env: WorkflowEnvironment, smtp: SmtpSink, tmp_path: Path
) -> None:
    server = PgServer()
    server.init()
    server.start()
    await migrate(server.url)
    settings = make_settings(
        server.url, tmp_path, smtp_host=smtp.host, smtp_port=smtp.port, smtp_timeout_seconds=2.0
    )
    stack = Stack(settings, temporal_env.client)
    customers = [unique("pg") for _ in range(8)]
    before, during = customers[:4], customers[4:]
    statuses: list[int] = []

    async def post(body: dict[str, Any]) -> dict[str, Any]:
        response = await stack.http.post("/v1/events", json=body)
        statuses.append(response.status_code)
        return {"status": response.status_code, "headers": response.headers, **response.json()}

    def emails(customer_id: str) -> list[Any]:
        return smtp.to(f"{customer_id}@example.com")

    try:
        with temporal_env.with_time_skipping_disabled():
            async with build_worker(temporal_env.client, settings, stack.sessions):
                zone = midday_timezone()
                for customer_id in customers:
                    await put_customer(
                        stack,
                        customer_id,
                        timezone=zone,
                        email=f"{customer_id}@example.com",
                        consent={"email": True},
                    )
                for customer_id in before:
                    assert (await post(event_body(customer_id, "signup", {})))["status"] == 202

                async def welcomed(group: list[str]) -> bool:
                    return all(emails(c) for c in group)

                assert await eventually(lambda: welcomed(before), timeout=30)

                # These journeys start as the database goes: their first send meets the outage.
                answers = await asyncio.gather(*(post(event_body(c, "signup", {})) for c in during))
                assert [answer["status"] for answer in answers] == [202] * len(during)
                server.stop()
                stopped_at = time.monotonic()

                paid = event_body(before[0], "order_paid", {"order_id": unique("o"), "total": 20.0})
                refused = await post(paid)
                assert refused["status"] == 503
                assert refused["headers"]["Retry-After"]
                assert refused["detail"][0]["reason"].startswith("database unavailable")

                await asyncio.sleep(OUTAGE_SECONDS - (time.monotonic() - stopped_at))
                assert not all(emails(c) for c in during), "no send met the outage"
                server.start()

                # Activities retry with backoff (at most a minute apart): all sends go through.
                assert await eventually(lambda: welcomed(during), timeout=90), [
                    c for c in during if not emails(c)
                ]
                async with stack.sessions() as session:
                    assert await session.get(EventRow, paid["event_id"]) is None
                retried = await post(paid)
                again = await post(paid)
                assert (retried["status"], retried["duplicate"]) == (202, False)
                assert (again["status"], again["duplicate"]) == (202, True)
                exited = temporal_env.client.get_workflow_handle(
                    f"welcome:{before[0]}", result_type=JourneyState
                )
                assert (await exited.result()).status == "exited"

                await asyncio.sleep(3)  # room for a late second copy to show up
                async with stack.sessions() as session:
                    rows = (
                        await session.execute(
                            select(MessageRow.customer_id, MessageRow.status, MessageRow.message_id)
                        )
                    ).all()
                    stored = await session.scalar(
                        select(func.count()).select_from(EventRow).where(EventRow.type == "signup")
                    )
                assert stored == len(customers)
                for customer_id in customers:
                    sent = [r for r in rows if r.customer_id == customer_id]
                    assert [r.status for r in sent] == [MessageStatus.SENT], (customer_id, sent)
                    received = emails(customer_id)
                    copies = [m for m in received if sent[0].message_id in m["Message-ID"]]
                    assert len(received) == len(copies) == 1, customer_id
                assert set(statuses) <= {202, 503}, statuses
                for customer_id in customers[1:]:
                    handle = temporal_env.client.get_workflow_handle(f"welcome:{customer_id}")
                    await handle.terminate("test over")
    finally:
        await stack.close()
        server.remove()
