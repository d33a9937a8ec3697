"""A span and a `sends` count around every channel sender's call to the outside world.

SMTP has no OpenTelemetry instrumentation of its own, and HTTP providers get an httpx span only
below this one: wrapping the sender gives every delivery, whatever its transport, one span
named after the channel inside the send activity's span. The dev outbox, written in the
delivery's own transaction, is counted but has no span of its own.
"""

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy.ext.asyncio import AsyncConnection

from channels.base import DeliveryError, OutgoingMessage, Sender, TransactionalSender
from models.channels import Channel
from telemetry.metrics import sends
from telemetry.tracing import TRACER_NAME


class InstrumentedSender:
    def __init__(self, inner: Sender, tracer: trace.Tracer) -> None:
        self._inner = inner
        self._tracer = tracer
        self.idempotent = inner.idempotent

    async def send(self, message: OutgoingMessage) -> str:
        channel = str(message.channel)
        # The messaging semantic conventions (the channel as the destination); ours under
        # `journeys.`. Never the address.
        attributes = {
            "messaging.system": "journeys",
            "messaging.operation.type": "send",
            "messaging.operation.name": "send",
            "messaging.destination.name": channel,
            "messaging.message.id": message.message_id,
            "journeys.customer_id": message.customer_id,
        }
        with self._tracer.start_as_current_span(
            f"send {channel}", kind=SpanKind.CLIENT, attributes=attributes
        ) as span:
            try:
                reference = await self._inner.send(message)
            except DeliveryError as err:
                sends.labels(channel, "refused" if err.final else "failed").inc()
                span.set_attribute("error.type", err.reason)
                span.set_status(Status(StatusCode.ERROR, err.reason))
                raise
            except BaseException:
                sends.labels(channel, "unknown").inc()
                raise
            sends.labels(channel, "sent").inc()
            return reference


class CountedTransactionalSender:
    """A sender that writes to our own database makes no call to trace: it is counted only."""

    def __init__(self, inner: TransactionalSender, tracer: trace.Tracer) -> None:
        self._inner = inner
        self._traced = InstrumentedSender(inner, tracer)
        self.idempotent = inner.idempotent

    async def send(self, message: OutgoingMessage) -> str:
        return await self._traced.send(message)

    def reference(self, message: OutgoingMessage) -> str:
        return self._inner.reference(message)

    async def add(self, transaction: AsyncConnection, message: OutgoingMessage) -> None:
        await self._inner.add(transaction, message)
        sends.labels(str(message.channel), "sent").inc()


def instrument_senders(
    senders: dict[Channel, Sender], provider: trace.TracerProvider | None = None
) -> dict[Channel, Sender]:
    """Wrap every sender; spans go to `provider`, or to the global one when None."""
    tracer = (provider or trace.get_tracer_provider()).get_tracer(TRACER_NAME)
    return {
        channel: (
            CountedTransactionalSender(sender, tracer)
            if isinstance(sender, TransactionalSender)
            else InstrumentedSender(sender, tracer)
        )
        for channel, sender in senders.items()
    }
