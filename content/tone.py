"""The tone a support ticket's sentiment sets: after a ticket that ended unhappily the follow-up
apologises and sells nothing, on the template and the LLM path alike.

"Sells nothing" means: no items to buy, no money-off or free-shipping benefit, no sales wording
(`ContentSettings.promotion_terms`). A service benefit (priority support, longer returns) is care,
not a promotion, and may stay.
"""

from content.copy_text import Copy
from content.placeholders import placeholders_in
from content.reasons import CheckFailure, Reason
from content.request import ContentRequest
from content.sense import word_pattern
from content.settings import ContentSettings
from models.benefits import BenefitKind

PROMOTIONAL_BENEFITS = frozenset(
    {BenefitKind.AMOUNT_OFF, BenefitKind.PERCENT_OFF, BenefitKind.FREE_SHIPPING}
)


def without_promotion(request: ContentRequest) -> ContentRequest:
    """The request an apology is written from: no items and no promotional benefit to offer."""
    if not request.apologetic:
        return request
    offer = request.offer
    if offer is not None and offer.kind in PROMOTIONAL_BENEFITS:
        offer = None
    return request.model_copy(update={"recent_items": [], "offer": offer})


def check_tone(
    draft: Copy, request: ContentRequest, settings: ContentSettings
) -> list[CheckFailure]:
    """An apology that sells something, or does not apologise, fails."""
    if not request.apologetic:
        return []
    text = draft.full_text()
    failures = []
    selling = sorted(name for name in placeholders_in(text) if name.startswith("item"))
    selling += [
        term
        for term in settings.promotion_terms.get(request.language, [])
        if word_pattern(term).search(text)
    ]
    if selling:
        failures.append(
            CheckFailure(
                reason=Reason.PROMOTION_IN_APOLOGY,
                detail="the ticket ended unhappily: apologise and sell nothing; found "
                + ", ".join(repr(s) for s in selling),
            )
        )
    apologies = settings.apology_terms.get(request.language, [])
    if not any(word_pattern(term, prefix=True).search(text) for term in apologies):
        failures.append(
            CheckFailure(
                reason=Reason.MISSING_APOLOGY,
                detail="the ticket ended unhappily: say sorry (" + ", ".join(apologies) + ")",
            )
        )
    return failures
