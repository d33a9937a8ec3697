"""Message copy: an LLM writes it from versioned prompts, checks decide whether it may be sent,
deterministic templates take over whenever the LLM is absent, down or wrong."""

from content.cache import CopyCache, InMemoryCopyCache
from content.checks import check_copy, check_llm_copy, parse_copy
from content.copy_text import Attempt, Copy, CopyResult, sms_text
from content.fallback import render_fallback
from content.figures import check_figures, extract_figures
from content.library import template_ids
from content.llm import LLMClient, LLMError
from content.picks import RecommendedPick
from content.placeholders import PERSONAL_PLACEHOLDERS, MissingPlaceholderError, fill_placeholders
from content.reasons import CheckFailure, CheckResult, Reason
from content.request import ActiveWindow, ContentRequest, OfferTerms, Variant
from content.sense import check_sense
from content.settings import ChannelTokens, ContentSettings, LLMSettings
from content.writer import recheck_at_send, with_live_items, write_copy, write_variants
from models.benefits import BenefitKind

__all__ = [
    "PERSONAL_PLACEHOLDERS",
    "ActiveWindow",
    "ChannelTokens",
    "Attempt",
    "CheckFailure",
    "CheckResult",
    "ContentRequest",
    "ContentSettings",
    "Copy",
    "CopyCache",
    "CopyResult",
    "InMemoryCopyCache",
    "LLMClient",
    "LLMError",
    "LLMSettings",
    "MissingPlaceholderError",
    "BenefitKind",
    "OfferTerms",
    "Reason",
    "RecommendedPick",
    "Variant",
    "check_copy",
    "check_figures",
    "check_llm_copy",
    "check_sense",
    "extract_figures",
    "fill_placeholders",
    "parse_copy",
    "recheck_at_send",
    "render_fallback",
    "sms_text",
    "template_ids",
    "with_live_items",
    "write_copy",
    "write_variants",
]
