"""The offer catalogue: the one source of truth for every incentive a journey may give.

Journeys and content reference offers only by `offer_id`; the LLM never sets or changes an offer.
The catalogue is a JSON file validated on load, so a bad file fails loudly at start-up.

Cost model: `cost_cny` is what the business pays each time the cost basis occurs, either
`per_redemption` (a coupon costs its face value only when used with an order) or `per_grant`
(priority support costs staff time as soon as it is granted).

Uplift model: `relative_uplift` scales the customer's estimated uplift of a reference winback
contact (the uplift model is trained on an e-mail experiment) to this offer. These factors are
assumptions until our own experiments measure each offer's lift.
"""

import json
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from dormancy.labels import DormancyReason, DormancyTier
from models.benefits import BenefitKind

SHIPPED_CATALOGUE = Path(__file__).resolve().parent / "catalogue.json"


class OfferKind(StrEnum):
    MONETARY = "monetary"
    NON_MONETARY = "non_monetary"


class CostBasis(StrEnum):
    PER_REDEMPTION = "per_redemption"
    PER_GRANT = "per_grant"


class MarginRules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    min_order_value_cny: float = Field(default=0.0, ge=0, description="order threshold to redeem")
    max_cost_share_of_margin: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="the incentive may take at most this share of the expected order's margin",
    )


class Offer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    offer_id: str = Field(pattern=r"^[A-Z0-9_]{3,40}$")
    kind: OfferKind
    title: str = Field(min_length=1, max_length=60, description="internal label, not copy")
    cost_cny: float = Field(ge=0)
    cost_basis: CostBasis
    margin_rules: MarginRules = MarginRules()
    valid_from: AwareDatetime
    valid_until: AwareDatetime
    redeem_within_days: int = Field(ge=1, description="validity of an issued benefit, in days")
    reasons: frozenset[DormancyReason] = frozenset()
    tiers: frozenset[DormancyTier] = frozenset()
    journeys: frozenset[Annotated[str, Field(pattern=r"^[a-z_]{1,40}$")]] = Field(
        min_length=1, description="journey kinds allowed to reference this offer"
    )
    relative_uplift: float = Field(default=1.0, ge=0)
    benefit: BenefitKind | None = Field(None, description="what the copy says it gives")
    benefit_value: Decimal | None = Field(None, gt=0, description="amount, percent or days")

    @model_validator(mode="after")
    def _consistent(self) -> "Offer":
        if self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        if self.kind is OfferKind.MONETARY and self.cost_cny == 0:
            raise ValueError("a monetary offer must have a cost")
        if DormancyTier.ACTIVE in self.tiers:
            raise ValueError("winback offers are for dormant tiers, not 'active'")
        if bool(self.reasons) != bool(self.tiers):
            raise ValueError("a winback offer lists both reasons and tiers; other offers neither")
        if self.reasons and "winback" not in self.journeys:
            raise ValueError("an offer with dormancy reasons must list the 'winback' journey")
        return self

    def is_valid_at(self, now: datetime) -> bool:
        return self.valid_from <= now < self.valid_until

    def suits(self, reason: DormancyReason, tier: DormancyTier) -> bool:
        return reason in self.reasons and tier in self.tiers


class CatalogueError(ValueError):
    """The catalogue file is missing, not JSON, or fails validation; the message says where."""


class OfferCatalogue(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(min_length=1)
    offers: tuple[Offer, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> "OfferCatalogue":
        ids = [offer.offer_id for offer in self.offers]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate offer_id: {', '.join(duplicates)}")
        return self

    def get(self, offer_id: str) -> Offer:
        """The offer with this id; KeyError if the catalogue has none (a journey bug)."""
        for offer in self.offers:
            if offer.offer_id == offer_id:
                return offer
        raise KeyError(f"offer {offer_id!r} is not in catalogue {self.version}")


def load_catalogue(path: Path | None = None) -> OfferCatalogue:
    """Load and validate a catalogue file; None loads the one shipped in this package."""
    try:
        source = path or SHIPPED_CATALOGUE
        text = source.read_text("utf-8")
    except OSError as error:
        raise CatalogueError(f"cannot read offer catalogue {source}: {error}") from error
    try:
        return OfferCatalogue.model_validate(json.loads(text))
    except json.JSONDecodeError as error:
        raise CatalogueError(f"{source}: not valid JSON: {error}") from error
    except ValidationError as error:
        raise CatalogueError(f"{source}: invalid offer catalogue:\n{error}") from error
