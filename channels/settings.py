"""Settings of the channel senders, the tracked links and the receipt webhooks.

Nested in the app's settings as `channels`: `CHANNELS__SMS__BASE_URL=https://sms.example`,
`CHANNELS__SMS__API_KEY=...`, `CHANNELS__TRACKING_SECRET=...`. A channel whose provider is not
configured goes to the dev outbox; email goes over SMTP when `SMTP_HOST` is set.
"""

from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator

from models.channels import Channel


class HttpProviderSettings(BaseModel):
    base_url: str = Field(description="where the provider's API lives, e.g. https://sms.example")
    api_key: SecretStr = Field(
        SecretStr(""), description="bearer key; the HMAC key for the signed_webhook protocol"
    )
    protocol: Literal["native", "signed_webhook"] = Field(
        "native",
        description="native: the channel's documented format; signed_webhook: the generic "
        "signed JSON POST to base_url (channels/webhook.py), for any other gateway",
    )
    timeout_seconds: float = Field(10.0, gt=0, description="for the whole request")
    connect_timeout_seconds: float = Field(3.0, gt=0)
    rate_per_second: float = Field(
        20.0, gt=0, description="sends per second per worker process; a burst waits its turn"
    )
    webhook_secret: SecretStr | None = Field(
        None, description="HMAC key of this provider's receipts on POST /v1/webhooks/<channel>"
    )

    @field_validator("base_url")
    @classmethod
    def _absolute_http(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError("base_url must be an absolute http(s) URL")
        return url.rstrip("/")


class WeChatSettings(HttpProviderSettings):
    """WeChat service-account template messages; `api_key` is the account's AppSecret."""

    base_url: str = "https://api.weixin.qq.com"
    app_id: str = ""
    template_id: str = Field("", description="the template approved in the WeChat console")
    # The template's keyword names, as configured in the console.
    title_field: str = "first"
    body_field: str = "keyword1"
    cta_field: str = "remark"


class EmailChannelSettings(BaseModel):
    """Email goes over SMTP (SMTP_* settings); these add the parts only email has."""

    rate_per_second: float = Field(10.0, gt=0)
    webhook_secret: SecretStr | None = Field(
        None, description="HMAC key of the relay's receipts (bounces, complaints, opens)"
    )
    unsubscribe_mailto: str | None = Field(
        None, description="an address also listed in List-Unsubscribe, for mail-only clients"
    )


class ChannelSettings(BaseModel):
    public_base_url: str = Field(
        "http://127.0.0.1:8000",
        description="the API as customers reach it: tracked links, open pixel, unsubscribe",
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
    webhook_tolerance_seconds: int = Field(
        300, ge=1, description="how old a receipt's signature timestamp may be"
    )
    email: EmailChannelSettings = Field(default_factory=EmailChannelSettings)
    sms: HttpProviderSettings | None = None
    push: HttpProviderSettings | None = None
    inapp: HttpProviderSettings | None = None
    wechat: WeChatSettings | None = None

    @field_validator("public_base_url")
    @classmethod
    def _no_trailing_slash(cls, url: str) -> str:
        return url.rstrip("/")

    def http_provider(self, channel: Channel) -> HttpProviderSettings | None:
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
