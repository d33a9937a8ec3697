"""The one interface every channel sender implements."""

from datetime import timedelta
from typing import Protocol, runtime_checkable

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from models.channels import Channel


class OutgoingMessage(BaseModel):
    message_id: str
    idempotency_key: str
    customer_id: str
    channel: Channel
    address: str
    locale: str
    title: str
    body: str
    cta: str = ""
    disclaimers: list[str] = []
    # Links the delivery worked out (channels/links.py): the call to action, tracked when a
    # tracking secret is set; for email the open pixel and the one-click unsubscribe link.
    cta_url: str = ""
    open_pixel_url: str | None = None
    unsubscribe_url: str | None = None


class DeliveryError(Exception):
    """The provider refused or could not take the message; it was certainly not delivered.

    `final`: retrying on this channel cannot help (invalid address, blocked number), so the
    message moves to the next allowed channel. Otherwise it is retried, no sooner than
    `retry_after` when the provider asked for a pause (HTTP 429 with Retry-After).
    `dead_address`: the address the provider says is gone for good (a push token the app no
    longer has): delivery removes it from the customer, if the profile still holds it.
    """

    def __init__(
        self,
        reason: str,
        *,
        final: bool,
        retry_after: timedelta | None = None,
        dead_address: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.final = final
        self.retry_after = retry_after
        self.dead_address = dead_address


class OutcomeUnknown(Exception):
    """The provider may or may not have taken the message (a 500 from a provider with no
    idempotency key): the delivery path treats it as a call cut off mid-way."""


class Sender(Protocol):
    # True when a repeated send with the same idempotency key cannot reach the customer twice,
    # so an attempt cut off mid-call can simply be made again.
    idempotent: bool

    async def send(self, message: OutgoingMessage) -> str:
        """Deliver the message and return the provider's reference for it.

        Raises DeliveryError when the message was certainly not delivered; any other exception
        leaves the outcome unknown.
        """
        ...


@runtime_checkable
class TransactionalSender(Sender, Protocol):
    """A sender whose provider is our own database (the dev outbox): delivery adds its row to
    the transaction that settles the ledger row, so the two commit together or not at all."""

    def reference(self, message: OutgoingMessage) -> str:
        """The provider reference `add` records for the message."""
        ...

    async def add(self, transaction: AsyncConnection, message: OutgoingMessage) -> None:
        """Write the delivered message in `transaction`, which the caller commits."""
        ...
