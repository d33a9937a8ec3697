"""A customer's profile: where and how they may be reached."""

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field

from models.channels import Channel


def _iana_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(f"unknown IANA time zone {name!r}") from err
    return name


Timezone = Annotated[str, Field(max_length=64), AfterValidator(_iana_timezone)]


class CustomerProfile(BaseModel):
    """A customer's profile; every field may be left out."""

    # Validators built at the first use, not at import: EmailStr loads email_validator, which a
    # starting worker need not wait for (bench/cold_start.py; subclasses inherit it).
    model_config = ConfigDict(defer_build=True)

    timezone: Timezone = "UTC"
    locale: str = Field("en", max_length=16, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")
    email: EmailStr | None = None
    phone: str | None = Field(None, pattern=r"^\+?[0-9 ()\-]{5,20}$")
    push_token: str | None = Field(None, max_length=512)
    wechat_openid: str | None = Field(None, max_length=128)
    consent: dict[Channel, bool] = Field(default_factory=dict)
    attributes: dict[str, Any] = Field(default_factory=dict)

    def address(self, channel: Channel) -> str | None:
        """Where a message on `channel` goes; in-app needs no address, only the customer id."""
        match channel:
            case Channel.EMAIL:
                return self.email
            case Channel.SMS:
                return self.phone
            case Channel.PUSH:
                return self.push_token
            case Channel.WECHAT:
                return self.wechat_openid
            case Channel.INAPP:
                return "inbox"


class Customer(CustomerProfile):
    """A stored profile, with the guardrail state the customer's own actions set."""

    customer_id: str
    unsubscribed_channels: list[Channel] = Field(default_factory=list)
    blacklisted: bool = False
    silence_until: datetime | None = None
    interest_categories: list[str] = Field(
        default_factory=list,
        description="the categories chosen at signup (the latest signup event's), in its order",
    )
