"""The one interface every channel sender implements."""

from typing import Protocol

from pydantic import BaseModel

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


class DeliveryError(Exception):
    """The provider refused or could not take the message; it was certainly not delivered."""

    def __init__(self, reason: str, *, final: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.final = final


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
