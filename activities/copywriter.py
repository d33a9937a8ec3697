"""From a decided send to checked copy: the content package fed with the journey's context.

The copy keeps its personal placeholders ({{first_name}}, {{coupon_code}}) open: the ledger
never holds personal data, and delivery fills them in.
"""

from datetime import datetime, timedelta

from catalog import CatalogClient
from catalog.models import unknown_product
from content import ContentRequest, CopyResult, LLMClient, OfferTerms, recheck_at_send, write_copy
from content.cache import CopyCache
from content.settings import ContentSettings
from journeys.spec import Send
from models.benefits import BenefitKind
from models.channels import Channel
from models.customers import Customer
from models.events import Event, EventType
from offers.catalogue import Offer, OfferCatalogue


class Copywriter:
    def __init__(
        self,
        settings: ContentSettings,
        offers: OfferCatalogue,
        cache: CopyCache,
        llm: LLMClient | None,
        catalog: CatalogClient | None,
    ) -> None:
        self._settings = settings
        self._offers = offers
        self._cache = cache
        self._llm = llm
        self._catalog = catalog

    async def write(
        self,
        journey: str,
        step: Send,
        channel: Channel,
        customer: Customer,
        segment: str | None,
        trigger: Event,
        decided_at: datetime,
        offer_id: str | None,
        variant: str = "rational",
    ) -> CopyResult:
        offer = self._offers.get(offer_id) if offer_id else None
        terms = offer_terms(offer, decided_at) if offer else None
        request = ContentRequest(
            journey=journey,
            stage=str(step.stage),
            channel=channel,
            template_id=_RENAMED_TEMPLATES.get(step.template, step.template),
            locale=customer.locale,
            timezone=customer.timezone,
            intent_segment=segment,
            interest_categories=[str(c) for c in customer.attributes.get("interests", [])][:5],
            price_sensitivity=customer.attributes.get("price_sensitivity"),
            recent_items=[
                unknown_product(str(item["sku"]), str(item.get("name", "")))
                for item in _items(trigger)
            ],
            offer=terms,
            variant=variant,
        )
        result = await write_copy(request, self._llm, self._catalog, self._cache, self._settings)
        if result.from_cache:
            # Copy generated earlier: its figures must still match the live sources now.
            recheck = await recheck_at_send(result, self._catalog, terms)
            if not recheck.ok:
                result = await write_copy(
                    request, self._llm, self._catalog, self._cache, self._settings
                )
        return result


# Runs started before the content package carry the skeleton's template ids in their input.
_RENAMED_TEMPLATES = {f"cart_stage_{n}": f"cart_abandonment.stage{n}" for n in (1, 2, 3)}

_CODED = {BenefitKind.AMOUNT_OFF, BenefitKind.PERCENT_OFF}


def offer_terms(offer: Offer, issued_at: datetime) -> OfferTerms | None:
    """What the copy may say about an offer: only what the catalogue says, never the LLM."""
    if offer.benefit is None:
        return None
    return OfferTerms(
        offer_id=offer.offer_id,
        kind=offer.benefit,
        value=offer.benefit_value,
        min_spend=offer.margin_rules.min_order_value_cny or None,
        # A discount is redeemed with a code unique to the message; other benefits apply by id.
        code_placeholder="coupon_code" if offer.benefit in _CODED else None,
        valid_until=min(offer.valid_until, issued_at + timedelta(days=offer.redeem_within_days)),
    )


def _items(trigger: Event) -> list[dict]:
    if trigger.type == EventType.CART_UPDATED:
        return list(trigger.properties.get("items", []))[:3]
    sku = trigger.properties.get("sku")
    return [{"sku": sku, "name": trigger.properties.get("name", "")}] if sku else []
