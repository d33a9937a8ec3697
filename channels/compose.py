"""From a ledger row to what a sender sends: the channel's address, links, personal values."""

from datetime import datetime

from channels.base import OutgoingMessage
from channels.links import MessageLinks
from channels.personalise import fill, message_coupon_code, personal_values
from models.channels import Channel
from models.customers import Customer


class MessageComposer:
    def __init__(self, links: MessageLinks, coupon_secret: str) -> None:
        self.links = links
        self._coupon_secret = coupon_secret

    def compose(
        self,
        *,
        message_id: str,
        idempotency_key: str,
        journey: str,
        step: str,
        channel: Channel,
        customer: Customer,
        address: str,
        title: str,
        body: str,
        cta: str,
        disclaimers: list[str],
        trigger_coupon_id: str | None,
        now: datetime,
    ) -> OutgoingMessage:
        """Raises UnfilledPlaceholderError when the copy asks for a value nobody has."""
        cta_url = self.links.cta_url(message_id, channel, journey, step, now)
        unsubscribe_url = self.links.unsubscribe_url(customer.customer_id, channel, now)
        values = personal_values(
            customer,
            coupon_code=trigger_coupon_id or message_coupon_code(self._coupon_secret, message_id),
            unsubscribe_url=unsubscribe_url,
            cta_url=cta_url,
        )
        texts = [title, body, cta, *disclaimers]
        values |= self.links.pick_urls(message_id, channel, journey, texts, now)
        return OutgoingMessage(
            message_id=message_id,
            idempotency_key=idempotency_key,
            customer_id=customer.customer_id,
            channel=channel,
            address=address,
            locale=customer.locale,
            title=fill(title, values),
            body=fill(body, values),
            cta=fill(cta, values),
            disclaimers=[fill(line, values) for line in disclaimers],
            cta_url=cta_url,
            open_pixel_url=self.links.open_pixel_url(message_id, channel, now),
            unsubscribe_url=unsubscribe_url,
        )
