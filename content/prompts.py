"""Versioned prompt templates and the messages built from them.

A prompt holds no personal data by construction (ContentRequest has none); free text that came
from elsewhere (product names, categories) is still scrubbed of anything that looks like an
e-mail address or a phone number before it is sent.
"""

import json
import re
from string import Template

from pydantic import BaseModel, ConfigDict

from catalog.models import Availability
from content.example import example_copy
from content.library import load_library
from content.placeholders import PERSONAL_PLACEHOLDERS, token
from content.reasons import CheckFailure
from content.request import ContentRequest
from content.settings import ContentSettings
from content.slots import allowed_personal_placeholders, pick_links, slot_values
from models.channels import Channel

Message = dict[str, str]


class PromptTemplate(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: str
    system: str
    user: str
    retry: str


# The system message is the same for every message of a deployment, so servers that cache a
# prompt's prefix (llama.cpp, vLLM, OpenAI) evaluate it once; what varies is in the user message.
_SYSTEM_V2 = """\
You write short messages from $brand_name, a shop selling online and in stores, to one customer.
Brand tone: $brand_tone.

Rules:
1. Prices, discounts, stock levels, offers, codes and links appear only as the placeholders \
listed in the user message, copied exactly (for example {{item1_price}}). Never write such a \
figure yourself, never change or invent one, and mention no offer that has no placeholder.
2. No exaggerated or absolute claims, no superlatives (forbidden for example: $banned_examples).
3. You know nothing personal about the customer. Greet them only with {{first_name}}, if at all.
4. Write only what the customer reads: name the item or topic the message is about, in plain \
words. Never write our internal words (journey, stage, segment, intent, variant, placeholder, \
SKU), field names or labels.
5. Answer with exactly one JSON object and nothing else:
{"title": string, "body": string, "cta": string, "disclaimers": [string]}"""

_USER_V2 = """\
Language: $language. Channel: $channel. Style: $variant_style.
$channel_rules
What the message is for: $purpose
What we know (anonymous): $context
Items (live catalog):
$items
Offer:
$offer
Placeholders you may use: $placeholders$example"""

_RETRY_V2 = """\
Your answer failed these checks:
$failures
Write the message again, following every rule. Answer with the JSON object only."""

PROMPTS: dict[str, PromptTemplate] = {
    "v2": PromptTemplate(version="v2", system=_SYSTEM_V2, user=_USER_V2, retry=_RETRY_V2),
}

# What each message is for, in words a customer could read: the prompt never shows our ids.
PURPOSES: dict[str, str] = {
    "welcome": "welcome a new customer; point them to the picks below, if any, and to their "
    "first-order benefit",
    "browse_abandonment": "the customer looked at an item but did not add it to the cart; "
    "remind them of it with its current price and availability, and show the picks below",
    "cart_abandonment.stage1": "the customer left items in the cart without paying; remind "
    "them and help with what may hold them back: size, returns, payment",
    "cart_abandonment.stage2": "the items are still in the cart hours later; remind them and "
    "present the benefit below",
    "cart_abandonment.stage3": "a last reminder a day later: the items are still in the cart "
    "and a personal code is valid for a limited time",
    "price_drop": "an item the customer viewed or put in the cart has a new price; tell them, "
    "with the current price",
    "low_stock": "an item the customer viewed or put in the cart is running low; tell them, "
    "with the current availability",
    "post_support": "the customer's support request was just resolved; thank them, give help "
    "on its topic, and suggest the items below",
    "offer_expiry": "the customer's coupon expires soon; remind them, with its validity",
    "winback.price": "the customer has not shopped for a while and cares about price; invite "
    "them back with the benefit below",
    "winback.category": "the customer has not shopped for a while; invite them back with new "
    "arrivals in the categories they like",
    "winback.service": "the customer has not shopped since a disappointing experience; "
    "apologise and present the benefit below, as care rather than a sales push",
    "store_reminder": "a member who visits our stores regularly; remind them that their "
    "benefits work in store and online with one code, and offer the store map",
    "cross_sell": "suggest the picks below, each for the reason it carries",
}

_LANGUAGE_NAMES = {"en": "English", "zh": "Simplified Chinese"}
_VARIANT_STYLES = {
    "rational": "factual: current price, availability and practical benefits",
    "emotional": "warm and personal: how it feels to own or use it, still without exaggeration",
}
_INTENT = {
    "cold": "just browsing",
    "warm": "interested",
    "hot": "close to buying",
}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{7,}\d")


def prompt_version(settings: ContentSettings) -> str:
    return f"prompt-{PROMPTS[settings.prompt_version].version}"


def build_messages(request: ContentRequest, settings: ContentSettings) -> list[Message]:
    prompt = PROMPTS[settings.prompt_version]
    slots = slot_values(request, settings)
    system = Template(prompt.system).substitute(
        brand_name=settings.brand_name,
        brand_tone=settings.brand_tone,
        banned_examples=", ".join(
            f'"{t}"' for terms in settings.banned_terms.values() for t in terms[:4]
        ),
    )
    user = Template(prompt.user).substitute(
        language=_LANGUAGE_NAMES[request.language],
        channel=request.channel.value,
        variant_style=_VARIANT_STYLES[request.variant],
        channel_rules=_channel_rules(request, settings, slots),
        purpose=_purpose(request),
        context=_context(request),
        items=_items(request, settings, slots) + _picks(request, slots),
        offer=_offer(request, slots),
        placeholders=", ".join(
            token(name) for name in [*slots, *sorted(allowed_personal_placeholders(request))]
        ),
        example=_example(request, settings),
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def retry_messages(
    messages: list[Message],
    answer: str,
    failures: list[CheckFailure],
    settings: ContentSettings,
) -> list[Message]:
    """The conversation so far plus the failed answer and the reasons, for the one retry."""
    listed = "\n".join(f"- {f.reason.value}: {f.detail}" for f in failures)
    retry = Template(PROMPTS[settings.prompt_version].retry).substitute(failures=listed)
    return [
        *messages,
        {"role": "assistant", "content": answer},
        {"role": "user", "content": retry},
    ]


def scrub(text: str) -> str:
    """Mask anything shaped like an e-mail address or phone number, and break up braces: a
    product name must not hand the model a placeholder to copy into its answer."""
    text = text.replace("{", "( ").replace("}", " )")
    return _PHONE.sub("[removed]", _EMAIL.sub("[removed]", text))


def _example(request: ContentRequest, settings: ContentSettings) -> str:
    """The form of such a message, about other items (content.example): an answer that copies
    it names the wrong item and is turned away."""
    if not settings.prompt_example:
        return ""
    shown = json.dumps(example_copy(request, settings).model_dump(), ensure_ascii=False)
    return (
        f"\nExample of the form only, about other items: {shown}\n"
        "Do not copy it: write your own sentences about the items above."
    )


def _context(request: ContentRequest) -> str:
    facts = []
    if request.intent_segment:
        facts.append(_INTENT[request.intent_segment])
    if request.interest_categories:
        facts.append("likes " + ", ".join(scrub(c) for c in request.interest_categories))
    if request.price_sensitivity:
        facts.append(f"{request.price_sensitivity} price sensitivity")
    if request.active_window:
        window = request.active_window
        facts.append(f"usually shops {window.start:%H:%M}-{window.end:%H:%M}")
    if request.support_topic:
        facts.append(f"support topic: {request.support_topic}")
    if request.support_sentiment:
        facts.append(f"ticket sentiment: {request.support_sentiment}")
    return "; ".join(facts) or "nothing"


def _purpose(request: ContentRequest) -> str:
    """What the message is for, with the help its support topic calls for (our wording, which
    the checks know) and, after an unhappy ticket, the tone."""
    purpose = PURPOSES[request.template_id]
    if request.support_topic:
        tip = load_library(request.language).support_tips[request.support_topic]
        purpose += f". The help to give on the topic: {tip}"
    if request.apologetic:
        purpose += (
            ". The customer was unhappy with how their request went: apologise first, and sell "
            "nothing (no item, price, discount or sales wording)"
        )
    return purpose


def _channel_rules(
    request: ContentRequest, settings: ContentSettings, slots: dict[str, str]
) -> str:
    phrases = load_library(request.language).phrases
    match request.channel:
        case Channel.SMS:
            opt_out = settings.sms_opt_out[request.language]
            code_width = PERSONAL_PLACEHOLDERS["coupon_code"]
            return (
                "SMS: put the whole message in body and leave title and cta empty. Everything "
                f"together must be at most {settings.sms_max_chars} characters, counting "
                f"{token('coupon_code')} as {code_width}, and must end with the opt-out line "
                f'"{opt_out}". No links.'
            )
        case Channel.PUSH:
            return (
                f"App push: title at most {settings.push_title_max_chars} characters; body one "
                "or two short sentences; cta two to four words."
            )
        case Channel.EMAIL:
            return (
                "Email: title is the subject line; cta a few words for the button. The body must "
                f"contain the FAQ link {token('faq_link')} and, on its own last line, "
                f'"{phrases.unsubscribe_line}".'
            )
        case Channel.WECHAT:
            validity = (
                f'; the body states the offer\'s validity "{phrases.valid_until_line}"'
                if "offer_valid_until" in slots
                else ""
            )
            return f'WeChat service message: cta is exactly "{phrases.view_details}"{validity}.'
        case _:
            return "In-app message: short title, two or three sentences of body, cta a few words."


def _items(request: ContentRequest, settings: ContentSettings, slots: dict[str, str]) -> str:
    lines = []
    for index, item in enumerate(request.recent_items[: settings.max_items], start=1):
        name, price, stock_note = (f"item{index}_{k}" for k in ("name", "price", "stock_note"))
        category = f" (category {scrub(item.category)})" if item.category else ""
        head = f'{index}. {token(name)} = "{scrub(slots[name])}"{category}'
        stock = f'{token(stock_note)} = "{slots[stock_note]}"'
        if item.availability is Availability.UNKNOWN:
            lines.append(
                f"{head}; price and stock unknown right now: state no figure; say stock is low "
                f'and offer "notify me when back"; stock wording {stock}'
            )
        elif price in slots:
            lines.append(f'{head}; price {token(price)} = "{slots[price]}"; {stock}')
        else:
            lines.append(f"{head}; {stock}")
    return "\n".join(lines) or "none"


def _picks(request: ContentRequest, slots: dict[str, str]) -> str:
    """The picks by placeholder, with their reason code and figures: nothing about the customer
    beyond what the codes say, and no figure the checks would not accept."""
    if not request.picks:
        return ""
    links = pick_links(request)
    intro = (
        "Recommended picks (show each with its price and reason, in this order; name no other "
        "product and quote no other figure"
        + (
            ""
            if request.picks_personalised
            else "; the customer turned personalisation off: "
            "say nothing about them, only that these are popular"
        )
        + "):"
    )
    lines = [intro]
    for index, pick in enumerate(request.picks, start=1):
        name, price, reason = (f"pick{index}_{k}" for k in ("name", "price", "reason"))
        parts = [f'{index}. {token(name)} = "{scrub(slots[name])}"', f"kind {pick.kind}"]
        if price in slots:
            parts.append(f'price {token(price)} = "{slots[price]}"')
        figures = ", ".join(f"{k} {scrub(str(v))}" for k, v in sorted(pick.figures.items()))
        parts.append(f"reason {pick.reason_code} ({figures})")
        parts.append(f'in words {token(reason)} = "{scrub(slots[reason])}"')
        if links:
            parts.append(f"its link {token(links[index - 1])}")
        lines.append("; ".join(parts))
    return "\n" + "\n".join(lines)


def _offer(request: ContentRequest, slots: dict[str, str]) -> str:
    offer = request.offer
    if offer is None:
        return "none: mention no discount, coupon or benefit."
    parts = [f'{token("offer_value")} = "{slots["offer_value"]}"']
    if offer.code_placeholder is not None:
        parts.append(f"code {token(offer.code_placeholder)}")
    if "offer_valid_until" in slots:
        parts.append(f'valid until {token("offer_valid_until")} = "{slots["offer_valid_until"]}"')
    return "; ".join(parts)
