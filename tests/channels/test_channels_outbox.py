"""The dev outbox: one row per message however often it is sent, on both databases."""

from datetime import UTC, datetime

from channels.base import OutgoingMessage
from channels.outbox import OutboxSender, outbox_for_customer
from models.channels import Channel
from models.messages import MessageDecision, MessageStatus
from storage.database import create_engine, session_factory
from storage.ledger import ledger_row
from tests.conftest import unique


async def test_a_repeated_send_leaves_one_outbox_row(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    customer_id, message_id = unique("c"), unique("m")
    async with sessions.begin() as session:
        session.add(
            ledger_row(
                MessageDecision(
                    message_id=message_id,
                    idempotency_key=message_id,
                    customer_id=customer_id,
                    journey="welcome",
                    workflow_id=f"welcome:{customer_id}",
                    step="welcome",
                    trigger_event_id="evt-1",
                    channel=Channel.INAPP,
                    status=MessageStatus.PENDING,
                    reason="eligible",
                    created_at=datetime.now(UTC),
                )
            )
        )
    message = OutgoingMessage(
        message_id=message_id,
        idempotency_key=message_id,
        customer_id=customer_id,
        channel=Channel.INAPP,
        address=customer_id,
        locale="en",
        title="Welcome",
        body="Hello",
    )
    sender = OutboxSender(sessions)
    try:
        refs = [await sender.send(message), await sender.send(message)]
        async with sessions() as session:
            rows = await outbox_for_customer(session, customer_id)
        assert refs[0] == refs[1] == f"outbox:{message_id}"
        assert [(row.message_id, row.title, row.body) for row in rows] == [
            (message_id, "Welcome", "Hello")
        ]
    finally:
        await engine.dispose()
