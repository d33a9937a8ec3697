"""The deterministic copy used when the LLM is absent, down or keeps failing the checks.

Wording comes from the versioned template library; this module lays it out per channel and adds
what each channel requires (opt-out line, FAQ and unsubscribe lines, "view details", validity).
The result is a draft with slots, checked by the same code as LLM copy.
"""

from string import Template

from content.copy_text import Copy
from content.library import Phrases, TemplateText, load_library
from content.placeholders import measured_length, render, token
from content.request import ContentRequest, OfferTerms
from content.settings import ContentSettings
from content.slots import pick_links, slot_values
from models.benefits import BenefitKind
from models.channels import Channel


def fallback_version(request: ContentRequest) -> str:
    return load_library(request.language).version


def render_fallback(request: ContentRequest, settings: ContentSettings) -> Copy:
    library = load_library(request.language)
    entry = library.templates[request.template_id]
    text: TemplateText = getattr(entry, request.variant)
    if request.apologetic and entry.apology is not None:
        text = entry.apology
    phrases = library.phrases
    tip = library.support_tips[request.support_topic or "other"]
    slots = slot_values(request, settings)

    def resolve(line: str) -> str:
        return render(line, {"support_tip": tip})

    if request.channel is Channel.SMS:
        return Copy(title="", body=_sms_body(resolve(text.sms), request, settings, slots), cta="")

    items = _item_lines(request, settings, phrases)
    if entry.interests and "interests" in slots:
        items.insert(0, phrases.interests_line)
    picks = _pick_lines(request)
    offer = _offer_lines(request.offer, phrases, slots)
    headline, cta = resolve(text.headline), entry.cta
    disclaimers = [phrases.offer_terms] if _monetary(request.offer) else []
    match request.channel:
        case Channel.PUSH:
            # One pick fits a notification: the intro and the first pick on one line.
            lines = [resolve(text.short), *items[:1], *_first_pick(picks), *offer[:1]]
        case Channel.WECHAT:
            lines = [resolve(text.long), *items, *picks, *offer]
            cta = phrases.view_details
        case Channel.EMAIL:
            lines = [
                resolve(text.long),
                *items,
                *picks,
                *offer,
                phrases.faq_line,
                phrases.unsubscribe_line,
            ]
        case _:  # in-app
            lines = [resolve(text.short), *items, *picks, *offer]
    return Copy(
        title=headline, body=phrases.line_separator.join(lines), cta=cta, disclaimers=disclaimers
    )


def _item_lines(request: ContentRequest, settings: ContentSettings, phrases: Phrases) -> list[str]:
    lines = []
    for index, item in enumerate(request.recent_items[: settings.max_items], start=1):
        fields = {
            "name": token(f"item{index}_name"),
            "price": token(f"item{index}_price"),
            "stock": token(f"item{index}_stock_note"),
        }
        phrase = phrases.item_with_price if item.price is not None else phrases.item_without_price
        lines.append(Template(phrase).substitute(fields))
    return lines


def _pick_lines(request: ContentRequest) -> list[str]:
    """The intro, then each pick with its live price, its reason and (where the channel shows
    links) its tracked link. The intro says nothing personal when the customer opted out."""
    if not request.picks:
        return []
    phrases = load_library(request.language).pick_phrases
    links = pick_links(request)
    lines = [phrases.intro_personal if request.picks_personalised else phrases.intro_popular]
    for index, pick in enumerate(request.picks, start=1):
        fields = {
            "name": token(f"pick{index}_name"),
            "price": token(f"pick{index}_price"),
            "reason": token(f"pick{index}_reason"),
        }
        phrase = phrases.line_with_price if pick.price is not None else phrases.line_without_price
        line = Template(phrase).substitute(fields)
        lines.append(f"{line} {token(links[index - 1])}" if links else line)
    return lines


def _first_pick(picks: list[str]) -> list[str]:
    return [" ".join(picks[:2])] if picks else []


def _offer_lines(offer: OfferTerms | None, phrases: Phrases, slots: dict[str, str]) -> list[str]:
    if offer is None:
        return []
    lines = [phrases.offer_line]
    if offer.code_placeholder is not None:
        lines.append(Template(phrases.code_line).substitute(code=token(offer.code_placeholder)))
    if "offer_valid_until" in slots:
        lines.append(phrases.valid_until_line)
    return lines


def _sms_body(
    base: str, request: ContentRequest, settings: ContentSettings, slots: dict[str, str]
) -> str:
    """Base text, the offer's code (or value) when it fits, and the opt-out line last."""
    opt_out = settings.sms_opt_out[request.language]
    candidates = [f"{base} {opt_out}"]
    offer = request.offer
    if offer is not None:
        phrases = load_library(request.language).phrases
        extra = (
            Template(phrases.sms_code).substitute(code=token(offer.code_placeholder))
            if offer.code_placeholder is not None
            else token("offer_value")
        )
        candidates.insert(0, f"{base} {extra} {opt_out}")
    for body in candidates:
        if measured_length(render(body, slots)) <= settings.sms_max_chars:
            return body
    return candidates[-1]


def _monetary(offer: OfferTerms | None) -> bool:
    return offer is not None and offer.kind in {
        BenefitKind.AMOUNT_OFF,
        BenefitKind.PERCENT_OFF,
        BenefitKind.FREE_SHIPPING,
    }
