"""Which sender carries each channel, at what rate, with which links: all from the settings."""

from collections.abc import Callable
from dataclasses import dataclass, field

import structlog
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels.base import Sender
from channels.compose import MessageComposer
from channels.inapp import InboxSender
from channels.link_tokens import LinkPurpose, LinkTokens
from channels.links import MessageLinks
from channels.outbox import OutboxSender
from channels.push import PushSender
from channels.rate_limit import TokenBucket
from channels.settings import (
    AnyProvider,
    ApnsSettings,
    EmailChannelSettings,
    FcmSettings,
    HttpProviderSettings,
    TencentSmsSettings,
    TwilioSettings,
    WeChatSettings,
)
from channels.sms import SmsSender
from channels.smtp import SmtpSender
from channels.tencent_sms import TencentSmsSender
from channels.twilio import TwilioSender
from channels.webhook import SignedWebhookSender
from channels.wechat import WeChatSender
from models.channels import Channel
from settings import Settings, configured_or_dev

log = structlog.get_logger()

_NATIVE: dict[Channel, Callable[[HttpProviderSettings], Sender]] = {
    Channel.SMS: SmsSender,
    Channel.PUSH: PushSender,
    Channel.INAPP: InboxSender,
}


OUTBOX = "outbox"


@dataclass
class ChannelClients:
    senders: dict[Channel, Sender]
    composer: MessageComposer
    throttles: dict[Channel, TokenBucket] = field(default_factory=dict)
    # The provider each sender calls, by name: recorded on each delivery attempt, so that a
    # failure rate is the provider's even when a channel changes providers.
    providers: dict[Channel, str] = field(default_factory=dict)


def build_channels(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> ChannelClients:
    """A configured provider per channel, else the dev outbox; email over SMTP when a relay is
    set. Each provider gets its own token bucket; the outbox needs none."""
    outbox = OutboxSender(sessions)
    senders: dict[Channel, Sender] = {channel: outbox for channel in Channel}
    providers = {channel: OUTBOX for channel in Channel}
    throttles: dict[Channel, TokenBucket] = {}
    config = settings.channels
    if settings.smtp_host:
        senders[Channel.EMAIL] = SmtpSender(settings)
        providers[Channel.EMAIL] = smtp_provider_name(config.email)
        throttles[Channel.EMAIL] = TokenBucket(config.email.rate_per_second)
    for channel in Channel:
        provider = config.http_provider(channel)
        if provider is None:
            continue
        senders[channel] = http_sender(channel, provider, config.public_base_url)
        providers[channel] = provider_name(provider)
        throttles[channel] = TokenBucket(provider.rate_per_second)
    log.info(
        "channel senders",
        senders={channel.value: type(sender).__name__ for channel, sender in senders.items()},
    )
    return ChannelClients(senders, composer_from_settings(settings), throttles, providers)


def provider_name(provider: AnyProvider) -> str:
    """twilio, tencent, fcm, apns, wechat; gateway (the channel's own HTTP protocol) or
    signed_webhook (the generic signed POST) for the custom HTTP provider."""
    match provider:
        case WeChatSettings():
            return "wechat"
        case HttpProviderSettings(protocol="signed_webhook"):
            return "signed_webhook"
        case _:
            return provider.provider


def smtp_provider_name(email: EmailChannelSettings) -> str:
    """The relay is named by the event webhook configured with it (mail goes over SendGrid's
    or SES's SMTP relay then; docs/channels.md), else plain smtp."""
    if email.sendgrid is not None:
        return "sendgrid"
    return "ses" if email.ses is not None else "smtp"


def http_sender(channel: Channel, provider: AnyProvider, public_base_url: str) -> Sender:
    """The sender the provider's settings ask for; `public_base_url` is where the callbacks
    a send names (Twilio's StatusCallback) reach the API."""
    match provider:
        case TwilioSettings():
            return TwilioSender(provider, public_base_url)
        case TencentSmsSettings():
            return TencentSmsSender(provider)
        # google-auth and PyJWT (with cryptography's X.509) only for a worker that pushes through
        # them: they are a third of a worker's import time.
        case FcmSettings():
            from channels.fcm import FcmSender

            return FcmSender(provider)
        case ApnsSettings():
            from channels.apns import ApnsSender

            return ApnsSender(provider)
        case HttpProviderSettings(protocol="signed_webhook"):
            return SignedWebhookSender(provider)
        case WeChatSettings():
            return WeChatSender(provider)
        case _:
            return _NATIVE[channel](provider)


def composer_from_settings(settings: Settings) -> MessageComposer:
    """Tracked links and unsubscribe links are always on: without configured secrets a dev stack
    uses secrets it generates under data_dir, shared by its worker and API."""
    links = MessageLinks(
        settings.channels,
        link_tokens(settings),
        unsubscribe_days=settings.guardrails.unsubscribe_token_days,
    )
    return MessageComposer(links, coupon_secret=tracking_secret(settings).get_secret_value())


def link_tokens(settings: Settings) -> LinkTokens:
    """The tokens of every link a recipient holds (channels/link_tokens.py): made and read with
    CHANNELS__LINK_SECRETS (newest first), else the tracking secret. The secrets of the signed
    links made before still read those until they expire."""
    tracking = tracking_secret(settings).get_secret_value()
    keys = [secret.get_secret_value() for secret in settings.channels.link_secrets] or [tracking]
    legacy = {
        LinkPurpose.OPEN: tracking,
        LinkPurpose.CLICK: tracking,
        LinkPurpose.UNSUBSCRIBE: unsubscribe_secret(settings),
    }
    return LinkTokens(keys, legacy)


def tracking_secret(settings: Settings) -> SecretStr:
    return SecretStr(
        configured_or_dev(
            settings,
            settings.channels.tracking_secret,
            "CHANNELS__TRACKING_SECRET",
            "dev-tracking-secret",
        )
    )


def unsubscribe_secret(settings: Settings) -> str:
    """The key that signs unsubscribe links: GUARDRAILS__UNSUBSCRIBE_SECRET, or a dev one."""
    return configured_or_dev(
        settings,
        settings.guardrails.unsubscribe_secret,
        "GUARDRAILS__UNSUBSCRIBE_SECRET",
        "dev-unsubscribe-secret",
    )
