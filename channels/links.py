"""The links a message carries: its call to action (tracked), the open pixel and unsubscribe."""

from datetime import datetime, timedelta
from urllib.parse import quote

from channels.link_tokens import LinkPurpose, LinkTokens
from channels.settings import ChannelSettings
from content.placeholders import PLACEHOLDER, pick_of_link
from models.channels import Channel

# Channels whose copy can show a link the customer opens in a browser or web view.
LINKED_CHANNELS = frozenset({Channel.EMAIL, Channel.WECHAT, Channel.INAPP, Channel.PUSH})
UNSUBSCRIBE_CHANNELS = frozenset({Channel.EMAIL, Channel.SMS})


class MessageLinks:
    def __init__(
        self, settings: ChannelSettings, tokens: LinkTokens, unsubscribe_days: int = 60
    ) -> None:
        self._settings = settings
        self._tokens = tokens
        self._unsubscribe_days = unsubscribe_days

    @property
    def base(self) -> str:
        return self._settings.public_base_url

    def cta_url(
        self, message_id: str, channel: Channel, journey: str, step: str, now: datetime
    ) -> str:
        if channel not in LINKED_CHANNELS:
            return ""
        target = self._settings.cta_url.format(
            channel=channel.value, journey=journey, step=step, message_id=message_id
        )
        token = self._tokens.make(
            LinkPurpose.CLICK, self._tracking_expiry(now), message_id=message_id, url=target
        )
        return f"{self.base}/t/c/{token}"

    def pick_urls(
        self, message_id: str, channel: Channel, journey: str, texts: list[str], now: datetime
    ) -> dict[str, str]:
        """A tracked link for every pick-link placeholder in the copy (`{{pick_url_<hex>}}`):
        a click records the pick's outcome, then leads to the product's page."""
        urls = {}
        for text in texts:
            for name in PLACEHOLDER.findall(text):
                product_id = pick_of_link(name)
                if product_id is None or channel not in LINKED_CHANNELS:
                    continue
                target = self._settings.product_url.format(
                    sku=quote(product_id, safe=""), channel=channel.value, journey=journey
                )
                token = self._tokens.make(
                    LinkPurpose.CLICK,
                    self._tracking_expiry(now),
                    message_id=message_id,
                    url=target,
                    product_id=product_id,
                )
                urls[name] = f"{self.base}/t/c/{token}"
        return urls

    def open_pixel_url(self, message_id: str, channel: Channel, now: datetime) -> str | None:
        if channel != Channel.EMAIL:
            return None
        token = self._tokens.make(
            LinkPurpose.OPEN, self._tracking_expiry(now), message_id=message_id
        )
        return f"{self.base}/t/o/{token}.gif"

    def _tracking_expiry(self, now: datetime) -> datetime:
        return now + timedelta(days=self._settings.tracking_link_days)

    def unsubscribe_url(self, customer_id: str, channel: Channel, now: datetime) -> str | None:
        """The one-click link, served by `GET/POST /v1/unsubscribe/{token}`, for the channels
        that must carry one (email, SMS). It stops every channel at once (the token names none),
        as the product asks."""
        if channel not in UNSUBSCRIBE_CHANNELS:
            return None
        token = self._tokens.make(
            LinkPurpose.UNSUBSCRIBE,
            now + timedelta(days=self._unsubscribe_days),
            customer_id=customer_id,
        )
        return f"{self.base}/v1/unsubscribe/{token}"
