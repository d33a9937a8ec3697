"""Settings of the channel senders, the tracked links and the receipt webhooks.

Nested in the app's settings as `channels`: `CHANNELS__SMS__BASE_URL=https://sms.example`,
`CHANNELS__SMS__API_KEY=...`, `CHANNELS__TRACKING_SECRET=...`. A channel whose provider is not
configured goes to the dev outbox; email goes over SMTP when `SMTP_HOST` is set.

`CHANNELS__<CHANNEL>__PROVIDER` picks who carries the channel: `gateway` (the default; the
channel's own HTTP protocol or, with `PROTOCOL=signed_webhook`, the generic signed POST for any
other provider), `twilio` or `tencent` for SMS, `fcm` or `apns` for push. docs/channels.md has a
section per provider.
"""

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    Discriminator,
    Field,
    SecretStr,
    Tag,
    field_validator,
    model_validator,
)

from models.channels import Channel


def _absolute_http(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise ValueError("must be an absolute http(s) URL")
    return url.rstrip("/")


class ProviderSettings(BaseModel):
    """What every HTTP provider has: where its API is, how long to wait, how fast to send."""

    base_url: str = Field(description="where the provider's API lives, e.g. https://sms.example")
    timeout_seconds: float = Field(10.0, gt=0, description="for the whole request")
    connect_timeout_seconds: float = Field(
        3.0,
        gt=0,
        description="seconds to wait for the connection to the provider; a send that never "
        "connected is certainly not delivered and is tried again",
    )
    rate_per_second: float = Field(
        20.0, gt=0, description="sends per second per worker process; a burst waits its turn"
    )
    webhook_secret: SecretStr | None = Field(
        None,
        description="HMAC key of receipts a relay signs for this channel on "
        "POST /v1/webhooks/<channel> (the generic receipt format)",
    )

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, url: str) -> str:
        return _absolute_http(url)


class HttpProviderSettings(ProviderSettings):
    """The custom HTTP provider: the channel's gateway protocol or the generic signed POST."""

    provider: Literal["gateway"] = Field(
        "gateway",
        description="who carries the channel: gateway, the channel's own HTTP protocol or the "
        "generic signed POST (see PROTOCOL); SMS also takes twilio or tencent, push fcm or apns",
    )
    api_key: SecretStr = Field(
        SecretStr(""), description="bearer key; the HMAC key for the signed_webhook protocol"
    )
    protocol: Literal["native", "signed_webhook"] = Field(
        "native",
        description="native: the channel's documented format; signed_webhook: the generic "
        "signed JSON POST to base_url (channels/webhook.py), for any other gateway",
    )


class WeChatSettings(HttpProviderSettings):
    """WeChat service-account template messages; `api_key` is the account's AppSecret."""

    base_url: str = Field(
        "https://api.weixin.qq.com", description="where WeChat's Official Accounts API lives"
    )
    app_id: str = Field(
        "", description="the service account's AppID, with api_key (its AppSecret) for tokens"
    )
    template_id: str = Field("", description="the template approved in the WeChat console")
    title_field: str = Field(
        "first", description="the template's keyword that carries the title, as in the console"
    )
    body_field: str = Field(
        "keyword1", description="the template's keyword that carries the body, as in the console"
    )
    cta_field: str = Field(
        "remark",
        description="the template's keyword that carries the call to action, as in the console",
    )
    server_token: SecretStr | None = Field(
        None,
        description="the Token of the account's server configuration (服务器配置): signs the "
        "event pushes to /v1/webhooks/wechat/events; unset: event pushes refused (404)",
    )


class TwilioSettings(ProviderSettings):
    """SMS through Twilio's Messaging API (channels/twilio.py)."""

    provider: Literal["twilio"] = Field(description="twilio: SMS through Twilio")
    base_url: str = Field("https://api.twilio.com", description="where Twilio's API lives")
    account_sid: str = Field(
        pattern=r"^AC[0-9a-fA-F]{32}$",
        description="the Twilio account (AC...) the messages are sent from",
    )
    auth_token: SecretStr = Field(
        description="the account's Auth Token: signs the status and inbound callbacks, and "
        "authenticates the API calls unless an API key is given"
    )
    api_key_sid: str = Field("", description="an API key (SK...) for the API calls instead")
    api_key_secret: SecretStr = Field(SecretStr(""), description="the secret of that API key")
    from_number: str = Field("", description="the sending number, E.164")
    messaging_service_sid: str = Field("", description="or a Messaging Service (MG...)")
    rate_per_second: float = Field(
        10.0, gt=0, description="sends per second per worker process; a burst waits its turn"
    )

    @model_validator(mode="after")
    def _a_sender(self) -> "TwilioSettings":
        if not (self.from_number or self.messaging_service_sid):
            raise ValueError("give from_number or messaging_service_sid")
        return self


SmsTemplateField = Literal["text", "title", "body", "cta", "url"]


class TencentSmsSettings(ProviderSettings):
    """SMS in mainland China through Tencent Cloud SMS (channels/tencent_sms.py)."""

    provider: Literal["tencent"] = Field(description="tencent: SMS through Tencent Cloud")
    base_url: str = Field(
        "https://sms.tencentcloudapi.com", description="where Tencent Cloud's SMS API lives"
    )
    secret_id: str = Field(description="the Tencent Cloud API key's SecretId")
    secret_key: SecretStr = Field(
        description="the API key's SecretKey: signs every call (TC3-HMAC-SHA256)"
    )
    region: str = Field("ap-guangzhou", description="the Tencent Cloud region the calls name")
    sdk_app_id: str = Field(description="SmsSdkAppId, the SMS application (1400...)")
    sign_name: str = Field(description="the approved signature (签名), without brackets")
    template_id: str = Field(description="the approved body template (正文模板)")
    template_params: list[SmsTemplateField] = Field(
        default_factory=lambda: list[SmsTemplateField](["text"]),
        description="what fills the template's {1}, {2}, ...: text (the whole SMS with its "
        "opt-out line), title, body, cta, url",
    )
    callback_token: SecretStr | None = Field(
        None,
        description="a random secret that forms the path of the callback URLs given to Tencent "
        "(its callbacks carry no signature); unset: callbacks refused (404)",
    )
    rate_per_second: float = Field(
        20.0, gt=0, description="sends per second per worker process; a burst waits its turn"
    )


class FcmSettings(ProviderSettings):
    """Push through Firebase Cloud Messaging HTTP v1 (channels/fcm.py)."""

    provider: Literal["fcm"] = Field(description="fcm: push through Firebase Cloud Messaging")
    base_url: str = Field("https://fcm.googleapis.com", description="where FCM's API lives")
    service_account_file: Path | None = Field(None, description="the service account's JSON key")
    service_account_json: SecretStr | None = Field(None, description="or its contents")
    project_id: str = Field("", description="default: the service account's project")
    rate_per_second: float = Field(
        100.0, gt=0, description="sends per second per worker process; a burst waits its turn"
    )

    @model_validator(mode="after")
    def _a_key(self) -> "FcmSettings":
        if (self.service_account_file is None) == (self.service_account_json is None):
            raise ValueError("give one of service_account_file or service_account_json")
        return self

    def service_account(self) -> dict[str, Any]:
        if self.service_account_json is not None:
            raw = self.service_account_json.get_secret_value()
        else:
            assert self.service_account_file is not None
            raw = self.service_account_file.read_text()
        info = json.loads(raw)
        if not isinstance(info, dict):
            raise ValueError("the service account key is not a JSON object")
        return info


class ApnsSettings(ProviderSettings):
    """Push straight to Apple's APNs over HTTP/2 with a token-based key (channels/apns.py)."""

    provider: Literal["apns"] = Field(description="apns: push straight to Apple's APNs")
    base_url: str = Field(
        "https://api.push.apple.com",
        description="development builds: https://api.sandbox.push.apple.com",
    )
    team_id: str = Field(
        pattern=r"^[A-Z0-9]{10}$",
        description="the Apple developer Team ID, issuer of the provider tokens",
    )
    key_id: str = Field(pattern=r"^[A-Z0-9]{10}$", description="the Key ID of the .p8 signing key")
    private_key: SecretStr | None = Field(None, description="the .p8 key's PEM text")
    private_key_file: Path | None = Field(None, description="or the .p8 file")
    topic: str = Field(description="the app's bundle id")
    rate_per_second: float = Field(
        100.0, gt=0, description="sends per second per worker process; a burst waits its turn"
    )

    @model_validator(mode="after")
    def _a_key(self) -> "ApnsSettings":
        if (self.private_key is None) == (self.private_key_file is None):
            raise ValueError("give one of private_key or private_key_file")
        return self

    def signing_key(self) -> str:
        if self.private_key is not None:
            return self.private_key.get_secret_value()
        assert self.private_key_file is not None
        return self.private_key_file.read_text()


def _provider(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("provider", "gateway"))
    return str(getattr(value, "provider", "gateway"))


SmsProvider = Annotated[
    Annotated[HttpProviderSettings, Tag("gateway")]
    | Annotated[TwilioSettings, Tag("twilio")]
    | Annotated[TencentSmsSettings, Tag("tencent")],
    Discriminator(_provider),
]
PushProvider = Annotated[
    Annotated[HttpProviderSettings, Tag("gateway")]
    | Annotated[FcmSettings, Tag("fcm")]
    | Annotated[ApnsSettings, Tag("apns")],
    Discriminator(_provider),
]
AnyProvider = (
    HttpProviderSettings | TwilioSettings | TencentSmsSettings | FcmSettings | ApnsSettings
)

SNS_CERTIFICATE_URL = r"^https://sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[^?#]+\.pem$"


class SendGridEventSettings(BaseModel):
    """SendGrid's signed Event Webhook on POST /v1/webhooks/sendgrid/events."""

    verification_key: str = Field(
        description="the Signed Event Webhook's verification key, as SendGrid shows it "
        "(base64 of the public key)"
    )


class SesEventSettings(BaseModel):
    """Amazon SES events through SNS on POST /v1/webhooks/ses/notifications."""

    topic_arns: list[str] = Field(
        min_length=1, description="the SNS topics whose notifications are taken (JSON list)"
    )
    certificate_url_pattern: str = Field(
        SNS_CERTIFICATE_URL,
        description="where SNS signing certificates may be fetched from (a regular expression)",
    )
    confirm_subscriptions: bool = Field(
        True, description="confirm a subscription of a listed topic by visiting its SubscribeURL"
    )

    @field_validator("certificate_url_pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        re.compile(pattern)
        return pattern


class EmailChannelSettings(BaseModel):
    """Email goes over SMTP (SMTP_* settings); these add the parts only email has."""

    rate_per_second: float = Field(
        10.0,
        gt=0,
        description="emails per second per worker process over SMTP; a burst waits its turn",
    )
    webhook_secret: SecretStr | None = Field(
        None, description="HMAC key of the relay's receipts (bounces, complaints, opens)"
    )
    unsubscribe_mailto: str | None = Field(
        None, description="an address also listed in List-Unsubscribe, for mail-only clients"
    )
    sendgrid: SendGridEventSettings | None = None
    ses: SesEventSettings | None = None
    ses_configuration_set: str = Field(
        "", description="named in X-SES-CONFIGURATION-SET, for SES event publishing"
    )


class ChannelSettings(BaseModel):
    public_base_url: str = Field(
        "http://127.0.0.1:8000",
        description="the API as customers and providers reach it: tracked links, open pixel, "
        "unsubscribe, and the callback URLs given to providers (Twilio signs the full URL)",
    )
    tracking_secret: SecretStr | None = Field(
        None,
        description="HMAC key of per-message coupon codes, and of link tokens when "
        "link_secrets is empty; unset: a dev secret under DATA_DIR",
    )
    link_secrets: list[SecretStr] = Field(
        default_factory=list,
        description="keys of the tokens in tracked links, the open pixel and unsubscribe links, "
        "newest first (JSON list): tokens are made with the first and read with any, so a key "
        "is rotated by putting a new one first and dropping the old one once its links expired",
    )
    tracking_link_days: int = Field(
        400, ge=1, description="how long a tracked link and the open pixel keep working"
    )
    cta_url: str = Field(
        "https://shop.example.com/?utm_source=journeys&utm_medium={channel}&utm_campaign={journey}",
        description="where the call to action leads; {channel}, {journey}, {step} and "
        "{message_id} are filled in",
    )
    product_url: str = Field(
        "https://shop.example.com/products/{sku}?utm_source=journeys&utm_medium={channel}"
        "&utm_campaign={journey}",
        description="where a recommended product's link leads; {sku}, {channel} and {journey} "
        "are filled in",
    )
    webhook_tolerance_seconds: int = Field(
        300, ge=1, description="how old a receipt's signature timestamp may be"
    )
    email: EmailChannelSettings = Field(default_factory=EmailChannelSettings)
    sms: SmsProvider | None = None
    push: PushProvider | None = None
    inapp: HttpProviderSettings | None = None
    wechat: WeChatSettings | None = None

    @field_validator("public_base_url")
    @classmethod
    def _no_trailing_slash(cls, url: str) -> str:
        return url.rstrip("/")

    def http_provider(self, channel: Channel) -> AnyProvider | None:
        match channel:
            case Channel.SMS:
                return self.sms
            case Channel.PUSH:
                return self.push
            case Channel.INAPP:
                return self.inapp
            case Channel.WECHAT:
                return self.wechat
            case Channel.EMAIL:
                return None

    def webhook_secret(self, provider: str) -> SecretStr | None:
        """The receipt key of the provider named in `/v1/webhooks/{provider}` (a channel name)."""
        try:
            channel = Channel(provider)
        except ValueError:
            return None
        if channel == Channel.EMAIL:
            return self.email.webhook_secret
        http = self.http_provider(channel)
        return http.webhook_secret if http else None
