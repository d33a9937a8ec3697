"""Versioned prompt templates and the messages built from them.

A prompt holds no personal data by construction (ContentRequest has none); free text that came
from elsewhere (product names, categories) is still scrubbed of anything that looks like an
e-mail address or a phone number before it is sent.
"""

import re
from string import Template

from pydantic import BaseModel, ConfigDict

from catalog.models import Availability
from content.library import load_library
from content.placeholders import PERSONAL_PLACEHOLDERS, token
from content.reasons import CheckFailure
from content.request import ContentRequest
from content.settings import ContentSettings
from content.slots import allowed_personal_placeholders, slot_values
from models.channels import Channel

Message = dict[str, str]


class PromptTemplate(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: str
    system: str
    user: str
    retry: str


_SYSTEM_V1 = """\
You write short marketing messages for $brand_name, a retailer selling online and in stores.
Brand tone: $brand_tone.
Language: $language. Channel: $channel. Variant: $variant ($variant_style).

Rules:
1. Prices, discounts, stock levels and offers come only from the placeholders listed in the user \
message, written exactly as given (for example {{item1_price}}). Never write such a figure \
yourself, never change, compute or invent one, and do not mention a price, discount, stock level \
or offer that has no placeholder.
2. No exaggerated or absolute claims, no superlatives, no promises beyond the context \
(forbidden for example: $banned_examples).
3. You know nothing personal about the customer. Greet them only with {{first_name}}, if at all. \
A coupon code appears only as its placeholder.
4. No links except the placeholders given.
5. $channel_rules
6. Answer with exactly one JSON object and nothing else:
{"title": string, "body": string, "cta": string, "disclaimers": [string]}"""

_USER_V1 = """\
Write the $variant copy for this message.
Journey: $journey, stage $stage. Purchase intent: $intent.
Customer context (anonymous):
- interest categories: $interests
- price sensitivity: $price_sensitivity
- active hours: $active_hours
- support topic: $support_topic
Items (live catalog):
$items
Offer:
$offer
Placeholders you may use: $placeholders"""

_RETRY_V1 = """\
Your answer failed these checks:
$failures
Write the copy again, following every rule. Answer with the JSON object only."""

PROMPTS: dict[str, PromptTemplate] = {
    "v1": PromptTemplate(version="v1", system=_SYSTEM_V1, user=_USER_V1, retry=_RETRY_V1),
}

_LANGUAGE_NAMES = {"en": "English", "zh": "Simplified Chinese"}
_VARIANT_STYLES = {
    "rational": "factual: current price, availability and practical benefits",
    "emotional": "warm and personal: how it feels to own or use it, still without exaggeration",
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
        language=_LANGUAGE_NAMES[request.language],
        channel=request.channel.value,
        variant=request.variant,
        variant_style=_VARIANT_STYLES[request.variant],
        banned_examples=", ".join(
            f'"{t}"' for terms in settings.banned_terms.values() for t in terms[:4]
        ),
        channel_rules=_channel_rules(request, settings, slots),
    )
    window = request.active_window
    user = Template(prompt.user).substitute(
        variant=request.variant,
        journey=scrub(request.journey),
        stage=scrub(request.stage),
        intent=request.intent_segment or "unknown",
        interests=", ".join(scrub(c) for c in request.interest_categories) or "unknown",
        price_sensitivity=request.price_sensitivity or "unknown",
        active_hours=f"{window.start:%H:%M}-{window.end:%H:%M}" if window else "unknown",
        support_topic=request.support_topic or "none",
        items=_items(request, settings, slots),
        offer=_offer(request, slots),
        placeholders=", ".join(
            token(name) for name in [*slots, *sorted(allowed_personal_placeholders(request))]
        ),
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
                "Email: title is the subject line. The body must contain the FAQ link "
                f'{token("faq_link")} and, on its own last line, "{phrases.unsubscribe_line}".'
            )
        case Channel.WECHAT:
            validity = (
                f' and the offer\'s validity "{phrases.valid_until_line}"'
                if "offer_valid_until" in slots
                else ""
            )
            return (
                f'WeChat service message: the text must contain "{phrases.view_details}"{validity}.'
            )
        case _:
            return "In-app message: short title, two or three sentences of body, a clear cta."


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
