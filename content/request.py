"""What the content step is asked to write. Deliberately no personal data: names, contact details
and coupon codes never enter it; the copy carries placeholders such as {{first_name}} and
{{coupon_code}} that `fill_placeholders` fills after generation."""

from datetime import datetime, time
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from catalog.models import ProductSnapshot
from content.library import Language, template_ids
from content.picks import RecommendedPick
from content.placeholders import PERSONAL_PLACEHOLDERS
from models.benefits import BenefitKind
from models.channels import Channel

Variant = Literal["rational", "emotional"]
VARIANTS: tuple[Variant, ...] = ("rational", "emotional")


_VALUE_REQUIRED = {BenefitKind.AMOUNT_OFF, BenefitKind.PERCENT_OFF, BenefitKind.EXTENDED_RETURNS}


class OfferTerms(BaseModel):
    """An offer as its source of truth (the offer catalogue) defines it; copy only quotes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    offer_id: str = Field(min_length=1)
    kind: BenefitKind
    value: Decimal | None = Field(None, gt=0)
    currency: str = "CNY"
    min_spend: Decimal | None = Field(None, gt=0, description="Order threshold, if any.")
    code_placeholder: str | None = Field(
        "coupon_code",
        description="Placeholder the copy shows the code as ({{coupon_code}}); None when the "
        "benefit needs no code.",
    )
    valid_until: datetime | None = None

    @field_validator("valid_until")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("valid_until must carry a time zone")
        return value

    @field_validator("code_placeholder")
    @classmethod
    def _known_placeholder(cls, value: str | None) -> str | None:
        if value is not None and value not in PERSONAL_PLACEHOLDERS:
            raise ValueError(f"code_placeholder must be one of {sorted(PERSONAL_PLACEHOLDERS)}")
        return value

    @model_validator(mode="after")
    def _value_fits_kind(self) -> "OfferTerms":
        if self.kind in _VALUE_REQUIRED and self.value is None:
            raise ValueError(f"an offer of kind {self.kind} needs a value")
        if self.kind is BenefitKind.PERCENT_OFF and self.value is not None and self.value >= 100:
            raise ValueError("percent_off value must be below 100")
        return self


class ActiveWindow(BaseModel):
    """The customer's usual active hours, local time (e.g. 19:00-21:00)."""

    model_config = ConfigDict(frozen=True)

    start: time
    end: time


class ContentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    journey: str = Field(min_length=1, description="e.g. cart_abandonment")
    stage: str = Field(min_length=1, description="the journey's step, e.g. 2 or price")
    channel: Channel
    template_id: str = Field(description="one of content.template_ids()")
    locale: str = Field("zh-CN", description="BCP 47; zh* writes Chinese, anything else English")
    timezone: str = Field("Asia/Shanghai", description="IANA zone used for dates in the copy")
    intent_segment: Literal["cold", "warm", "hot"] | None = None
    interest_categories: list[str] = Field(default_factory=list)
    price_sensitivity: Literal["low", "medium", "high"] | None = None
    active_window: ActiveWindow | None = None
    recent_items: list[ProductSnapshot] = Field(
        default_factory=list,
        description="Items in context; write_copy replaces their figures with the live catalog's.",
    )
    support_topic: Literal["size", "payment", "delivery", "returns", "other"] | None = None
    support_sentiment: Literal["positive", "neutral", "negative"] | None = Field(
        None, description="how the support ticket ended; negative: an apology, no promotion"
    )
    offer: OfferTerms | None = None
    picks: list[RecommendedPick] = Field(
        default_factory=list, description="Recommendations to show, each with its reason."
    )
    picks_personalised: bool = Field(
        True, description="False: the customer switched personalisation off; picks are popular"
    )
    variant: Variant = "rational"

    @field_validator("template_id")
    @classmethod
    def _shipped_template(cls, value: str) -> str:
        if value not in template_ids():
            raise ValueError(f"unknown template_id {value!r}; known: {sorted(template_ids())}")
        return value

    @field_validator("timezone")
    @classmethod
    def _real_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def apologetic(self) -> bool:
        """The customer left support unhappy: the message apologises and sells nothing."""
        return self.support_sentiment == "negative"

    @property
    def language(self) -> Language:
        return "zh" if self.locale.lower().startswith("zh") else "en"
