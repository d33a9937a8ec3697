"""From a decided send to checked copy: the content package fed with the journey's context.

The copy keeps its personal placeholders ({{first_name}}, {{coupon_code}}) open: the ledger
never holds personal data, and delivery fills them in.
"""

from datetime import datetime, timedelta

from catalog import CatalogClient
from catalog.models import unknown_product
from content import (
    ContentRequest,
    CopyResult,
    LLMClient,
    OfferTerms,
    RecommendedPick,
    recheck_at_send,
    write_copy,
)
from content.cache import CopyCache
from content.settings import ContentSettings
from experiments.assignment import sent_arm
from experiments.definitions import Experiment
from journeys.runs import PrepareMessage
from models.benefits import BenefitKind
from models.customers import Customer
from models.events import Event, EventType
from models.messages import MessageContent, MessageDecision
from offers.catalogue import Offer, OfferCatalogue
from storage.ledger import StoredCopy
from telemetry import metrics


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
        request: PrepareMessage,
        decision: MessageDecision,
        customer: Customer,
        picks: list[RecommendedPick] | None = None,
        picks_personalised: bool = True,
    ) -> StoredCopy:
        """The copy of a pending decision, in the segment, channel and arm it was decided with.
        The benefit is the decision's offer, unless it is an issued coupon of the trigger's.
        `picks`: the recommendations the send path chose and recorded for this message."""
        assert decision.channel is not None
        offer_id = request.offer_id if request.coupon_id else decision.benefit_id
        offer = self._offers.get(offer_id) if offer_id else None
        terms = offer_terms(offer, request.decided_at) if offer else None
        step = request.step
        content_request = ContentRequest(
            journey=request.journey,
            stage=str(step.stage),
            channel=decision.channel,
            template_id=_RENAMED_TEMPLATES.get(step.template, step.template),
            locale=customer.locale,
            timezone=customer.timezone,
            intent_segment=decision.segment,
            # Switched off, the message says nothing personal: not their tastes either.
            interest_categories=_interests(customer) if picks_personalised else [],
            price_sensitivity=customer.attributes.get("price_sensitivity"),
            recent_items=[
                unknown_product(str(item["sku"]), str(item.get("name", "")))
                for item in _items(request.trigger_event)
            ],
            offer=terms,
            picks=picks or [],
            picks_personalised=picks_personalised,
            variant=_variant(step.experiment, decision.arm_id),
            **_support_ticket(request.trigger_event),
        )
        result = await self._checked(content_request, terms)
        if result.path == "template" and not result.from_cache and result.reasons:
            metrics.llm_fallbacks.labels(result.reasons[0]).inc()
        copy = result.content
        return StoredCopy(
            content=MessageContent(
                title=copy.title, body=copy.body, cta=copy.cta, disclaimers=copy.disclaimers
            ),
            digest=result.content_hash,
            path=result.path,
            notes=",".join(result.reasons),
        )

    async def _checked(self, request: ContentRequest, terms: OfferTerms | None) -> CopyResult:
        result = await write_copy(request, self._llm, self._catalog, self._cache, self._settings)
        if result.from_cache:
            # Copy generated earlier: its figures must still match the live sources now.
            recheck = await recheck_at_send(result, self._catalog, terms)
            if not recheck.ok:
                result = await write_copy(
                    request, self._llm, self._catalog, self._cache, self._settings
                )
        return result


def _variant(experiment: Experiment | None, arm_id: str | None) -> str:
    arm = sent_arm(experiment, arm_id)
    return (arm.copy_variant if arm is not None else None) or "rational"


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


def _interests(customer: Customer) -> list[str]:
    """The categories the customer chose at signup; else those a profile attribute names."""
    chosen = customer.interest_categories or customer.attributes.get("interests") or []
    return [str(c) for c in chosen][:5]


def _support_ticket(trigger: Event) -> dict[str, str]:
    """The closed ticket's topic and sentiment, as the codes the event carries."""
    if trigger.type != EventType.SUPPORT_TICKET_CLOSED:
        return {}
    fields = {"support_topic": "topic", "support_sentiment": "sentiment"}
    return {
        name: str(trigger.properties[key])
        for name, key in fields.items()
        if trigger.properties.get(key) is not None
    }


def _items(trigger: Event) -> list[dict]:
    if trigger.type == EventType.CART_UPDATED:
        return list(trigger.properties.get("items", []))[:3]
    sku = trigger.properties.get("sku")
    return [{"sku": sku, "name": trigger.properties.get("name", "")}] if sku else []
