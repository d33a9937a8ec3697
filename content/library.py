"""The shipped, versioned wording per language: fallback templates and the phrases slots use.

The files live beside this module (`templates/en.json`, `templates/zh.json`); editing their text
means bumping their `version`, which also invalidates cached copy.
"""

from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict

Language = Literal["en", "zh"]
LANGUAGES: tuple[Language, ...] = ("en", "zh")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TemplateText(_Strict):
    headline: str  # title on every channel but SMS; at most the push title limit
    short: str  # in-app and push body
    long: str  # WeChat and email body
    sms: str  # SMS text before the optional offer part and the opt-out line


class TemplateEntry(_Strict):
    cta: str
    rational: TemplateText
    emotional: TemplateText
    # Used instead of either variant after a support ticket that ended unhappily.
    apology: TemplateText | None = None
    # The message is about the customer's interest categories: it names them when they are known.
    interests: bool = False


class Phrases(_Strict):
    item_with_price: str
    item_without_price: str
    stock_in: str
    stock_low: str
    stock_out: str
    stock_unknown: str
    offer_amount_off: str
    offer_amount_off_min: str
    offer_percent_off: str
    offer_percent_off_min: str
    offer_free_shipping: str
    offer_free_shipping_min: str
    offer_priority_support: str
    offer_extended_returns: str
    offer_line: str
    code_line: str
    sms_code: str
    valid_until_line: str
    offer_terms: str
    view_details: str
    faq_line: str
    unsubscribe_line: str
    interests_line: str
    interests_separator: str
    line_separator: str


class PickPhrases(_Strict):
    """How a recommendation reads: an intro line, one line per pick, and its reason by code."""

    intro_personal: str
    intro_popular: str
    line_with_price: str
    line_without_price: str
    reasons: dict[str, str]


class TemplateLibrary(_Strict):
    version: str
    language: Language
    phrases: Phrases
    pick_phrases: PickPhrases
    support_tips: dict[str, str]
    templates: dict[str, TemplateEntry]


@cache
def load_library(language: Language) -> TemplateLibrary:
    text = resources.files("content").joinpath(f"templates/{language}.json").read_text("utf-8")
    library = TemplateLibrary.model_validate_json(text)
    if library.language != language:
        raise ValueError(f"templates/{language}.json declares language {library.language}")
    return library


@cache
def template_ids() -> frozenset[str]:
    """Template ids present in every language (a request may only name one of these)."""
    ids = [frozenset(load_library(lang).templates) for lang in LANGUAGES]
    return frozenset.intersection(*ids)
