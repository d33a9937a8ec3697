"""The dev outbox: one row per message however often it is sent, on both databases."""

from datetime import UTC, datetime

from channels.base import OutgoingMessage
from channels.outbox import OutboxSender
from models.channels import Channel
from models.messages import MessageStatus
from storage.database import create_engine, session_factory
from storage.pages import outbox_page
from tests.conftest import unique
from tests.reports import seed


async def test_a_repeated_send_leaves_one_outbox_row(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    customer_id = unique("c")
    row = seed.message(
        customer_id,
        datetime.now(UTC),
        journey="welcome",
        step="welcome",
        channel=Channel.INAPP,
        status=MessageStatus.PENDING,
        reason="eligible",
    )
    message_id = row.message_id
    async with sessions.begin() as session:
        session.add(row)
    outgoing = OutgoingMessage(
        message_id=message_id,
        idempotency_key=row.idempotency_key,
        customer_id=customer_id,
        channel=Channel.INAPP,
        address=customer_id,
        locale="en",
        title="Welcome",
        body="Hello",
    )
    sender = OutboxSender(sessions)
    try:
        refs = [await sender.send(outgoing), await sender.send(outgoing)]
        async with sessions() as session:
            rows = await outbox_page(session, customer_id, limit=10)  # what the API reads
        assert refs[0] == refs[1] == f"outbox:{message_id}"
        assert [(kept.message_id, kept.title, kept.body) for kept in rows] == [
            (message_id, "Welcome", "Hello")
        ]
    finally:
        await engine.dispose()
