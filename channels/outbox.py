"""The dev outbox: stores what would have been sent, for channels with no provider configured."""

from datetime import UTC, datetime

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from channels.base import OutgoingMessage
from models.tables import OutboxRow, table
from storage.database import autocommit, engine_of

_INSERT = insert(table(OutboxRow))


class OutboxSender:
    idempotent = True

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = autocommit(sessions)  # one INSERT

    async def send(self, message: OutgoingMessage) -> str:
        """The outbox row in a transaction of its own (a delivery resumed from the ledger)."""
        try:
            async with engine_of(self._sessions).begin() as transaction:
                await self.add(transaction, message)
        except IntegrityError:
            pass  # already in the outbox: this is a retry of a send that went through
        return self.reference(message)

    def reference(self, message: OutgoingMessage) -> str:
        return f"outbox:{message.message_id}"

    async def add(self, transaction: AsyncConnection, message: OutgoingMessage) -> None:
        await transaction.execute(
            _INSERT,
            {
                "message_id": message.message_id,
                "channel": message.channel,
                "customer_id": message.customer_id,
                "title": message.title,
                "body": message.body,
                "created_at": datetime.now(UTC),
            },
        )
