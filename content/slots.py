"""Slot values: the figures and fixed lines copy may show, taken from the sources of truth only
(live catalog snapshot, offer terms, settings), worded per language from the template library."""

from decimal import Decimal
from string import Template
from zoneinfo import ZoneInfo

from catalog.models import Availability, ProductSnapshot
from content.library import Phrases, load_library
from content.picks import RecommendedPick
from content.placeholders import pick_link
from content.request import ContentRequest, OfferTerms
from content.settings import ContentSettings
from models.benefits import BenefitKind
from models.channels import Channel

_SYMBOLS = {"CNY": "¥", "RMB": "¥", "USD": "$", "EUR": "€", "GBP": "£"}


def format_money(amount: Decimal, currency: str) -> str:
    number = _plain(amount) if amount == amount.to_integral_value() else f"{amount:.2f}"
    symbol = _SYMBOLS.get(currency.upper())
    return f"{symbol}{number}" if symbol else f"{currency.upper()} {number}"


def format_valid_until(offer: OfferTerms, timezone: str) -> str | None:
    if offer.valid_until is None:
        return None
    return offer.valid_until.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def slot_values(request: ContentRequest, settings: ContentSettings) -> dict[str, str]:
    """Every slot this request offers, by placeholder name (`item1_price`, `offer_value`, ...).

    A figure the sources of truth do not have (price of an item the catalog could not confirm)
    has no slot, so copy cannot show it.
    """
    phrases = load_library(request.language).phrases
    values = {"faq_link": settings.faq_url}
    for index, item in enumerate(request.recent_items[: settings.max_items], start=1):
        values[f"item{index}_name"] = item.name or item.sku
        values[f"item{index}_stock_note"] = stock_note(item, phrases)
        if item.price is not None:
            values[f"item{index}_price"] = format_money(item.price, item.currency)
    for index, pick in enumerate(request.picks, start=1):
        values[f"pick{index}_name"] = pick.name
        values[f"pick{index}_reason"] = pick_reason(pick, request)
        if pick.price is not None:
            values[f"pick{index}_price"] = format_money(pick.price, pick.currency)
    if request.interest_categories:
        shown = [c.replace("_", " ").strip() for c in request.interest_categories[:3]]
        if any(shown):
            values["interests"] = phrases.interests_separator.join(c for c in shown if c)
    if request.offer is not None:
        values["offer_value"] = offer_value(request.offer, phrases)
        valid_until = format_valid_until(request.offer, request.timezone)
        if valid_until is not None:
            values["offer_valid_until"] = valid_until
    return values


def pick_reason(pick: RecommendedPick, request: ContentRequest) -> str:
    """Why the pick is there, in words, from its reason code and the model's figures only."""
    text = load_library(request.language).pick_phrases.reasons[pick.reason_code]
    figures = pick.figures
    share = pick.share_percent
    fields = {
        "anchor": pick.anchor_name or "",
        "share": _plain(share) if share is not None else "",
        "buyers": str(figures.get("buyers", "")),
        "category": str(figures.get("category", "")).capitalize(),
        "days_since": str(figures.get("days_since", "")),
        "bundle_price": (
            format_money(pick.bundle_price, pick.currency) if pick.bundle_price is not None else ""
        ),
    }
    return Template(text).safe_substitute(fields)


def pick_links(request: ContentRequest) -> list[str]:
    """The tracked link placeholder of each pick, on the channels that show links in the body
    (delivery fills it with a link that records the click per pick)."""
    if request.channel in (Channel.SMS, Channel.PUSH):
        return []
    return [pick_link(pick.product_id) for pick in request.picks]


def stock_note(item: ProductSnapshot, phrases: Phrases) -> str:
    match item.availability:
        case Availability.IN_STOCK:
            return phrases.stock_in
        case Availability.LOW_STOCK:
            return Template(phrases.stock_low).substitute(n=item.stock)
        case Availability.OUT_OF_STOCK:
            return phrases.stock_out
        case Availability.UNKNOWN:
            return phrases.stock_unknown


def offer_value(offer: OfferTerms, phrases: Phrases) -> str:
    value = offer.value or Decimal(0)
    minimum = format_money(offer.min_spend, offer.currency) if offer.min_spend else None
    fields: dict[str, str] = {"min": minimum or ""}
    match offer.kind:
        case BenefitKind.AMOUNT_OFF:
            fields["amount"] = format_money(value, offer.currency)
            text = phrases.offer_amount_off_min if minimum else phrases.offer_amount_off
        case BenefitKind.PERCENT_OFF:
            fields["percent"] = _plain(value)
            # Chinese states a discount as the share paid: 15 % off is 8.5折.
            fields["zhe"] = _plain((Decimal(100) - value) / 10)
            text = phrases.offer_percent_off_min if minimum else phrases.offer_percent_off
        case BenefitKind.FREE_SHIPPING:
            text = phrases.offer_free_shipping_min if minimum else phrases.offer_free_shipping
        case BenefitKind.PRIORITY_SUPPORT:
            text = phrases.offer_priority_support
        case BenefitKind.EXTENDED_RETURNS:
            fields["days"] = _plain(value)
            text = phrases.offer_extended_returns
    return Template(text).substitute(fields)


def _plain(number: Decimal) -> str:
    """12.50 -> 12.5, 20.00 -> 20 (no exponent)."""
    return f"{number.normalize():f}"


def allowed_personal_placeholders(request: ContentRequest) -> set[str]:
    """Personal placeholders this message may use; the sender must have a value for each."""
    allowed = {"first_name"}
    if request.offer is not None and request.offer.code_placeholder is not None:
        allowed.add(request.offer.code_placeholder)
    if request.channel is Channel.EMAIL:
        allowed.add("unsubscribe_url")
    if request.template_id == "store_reminder":
        allowed.add("store_map_link")
    allowed.update(pick_links(request))
    return allowed
