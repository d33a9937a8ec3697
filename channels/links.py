"""The links a message carries: its call to action (tracked), the open pixel and unsubscribe."""

from datetime import datetime, timedelta

from pydantic import SecretStr

from channels.settings import ChannelSettings
from channels.tracking import TrackingKind, make_tracking_token
from guardrails import make_unsubscribe_token
from models.channels import Channel

# Channels whose copy can show a link the customer opens in a browser or web view.
LINKED_CHANNELS = frozenset({Channel.EMAIL, Channel.WECHAT, Channel.INAPP, Channel.PUSH})
UNSUBSCRIBE_CHANNELS = frozenset({Channel.EMAIL, Channel.SMS})
UNSUBSCRIBE_PLACEHOLDER = "{{unsubscribe_url}}"


class MessageLinks:
    def __init__(
        self,
        settings: ChannelSettings,
        tracking_secret: SecretStr,
        unsubscribe_secret: SecretStr,
        unsubscribe_days: int = 60,
    ) -> None:
        self._settings = settings
        self._tracking_secret = tracking_secret.get_secret_value()
        self._unsubscribe_secret = unsubscribe_secret.get_secret_value()
        self._unsubscribe_days = unsubscribe_days

    @property
    def base(self) -> str:
        return self._settings.public_base_url

    def cta_url(self, message_id: str, channel: Channel, journey: str, step: str) -> str:
        if channel not in LINKED_CHANNELS:
            return ""
        target = self._settings.cta_url.format(
            channel=channel.value, journey=journey, step=step, message_id=message_id
        )
        token = make_tracking_token(self._tracking_secret, message_id, TrackingKind.CLICK, target)
        return f"{self.base}/t/c/{token}"

    def open_pixel_url(self, message_id: str, channel: Channel) -> str | None:
        if channel != Channel.EMAIL:
            return None
        token = make_tracking_token(self._tracking_secret, message_id, TrackingKind.OPEN)
        return f"{self.base}/t/o/{token}.gif"

    def unsubscribe_url(self, customer_id: str, channel: Channel, now: datetime) -> str | None:
        """The one-click link, served by `GET/POST /v1/unsubscribe/{token}`, for the channels
        that must carry one (email, SMS). It stops every channel at once (the token names none),
        as the product asks."""
        if channel not in UNSUBSCRIBE_CHANNELS:
            return None
        token = make_unsubscribe_token(
            customer_id,
            self._unsubscribe_secret,
            expires_at=now + timedelta(days=self._unsubscribe_days),
        )
        return f"{self.base}/v1/unsubscribe/{token}"
