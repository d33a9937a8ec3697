"""The checks every copy passes before it may be sent; each failure carries a reason code."""

import json
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from pydantic import ValidationError

from content.copy_text import Copy, sms_text
from content.example import COPY_THRESHOLD, check_copied_example, shared_pairs
from content.figures import check_figures
from content.placeholders import (
    PLACEHOLDER,
    as_text,
    measured_length,
    placeholders_in,
    render_copy,
)
from content.prompts import PURPOSES
from content.reasons import CheckFailure, CheckResult, Reason
from content.request import ContentRequest
from content.sense import check_sense, word_pattern
from content.settings import ContentSettings
from content.slots import allowed_personal_placeholders, slot_values
from content.tone import check_tone
from models.channels import Channel

_BROKEN_PLACEHOLDER = re.compile(r"\{\{[^{}]*\}?\}?|\}\}")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'）)，。]+", re.IGNORECASE)


def parse_copy(raw: str) -> Copy | CheckFailure:
    """The LLM's answer as Copy, read strictly: one JSON object with exactly the four fields,
    each of its type (a Markdown fence or a line of chatter around it is tolerated, nothing is
    guessed or repaired)."""
    start, end = raw.find("{"), raw.rfind("}")
    if start < 0 or end < start:
        return CheckFailure(reason=Reason.INVALID_JSON, detail="no JSON object in the answer")
    try:
        data = json.loads(raw[start : end + 1])
    except json.JSONDecodeError as exc:
        return CheckFailure(reason=Reason.INVALID_JSON, detail=f"not valid JSON: {exc.msg}")
    expected = "expected {title, body, cta, disclaimers}"
    unexpected = sorted(set(data) - set(Copy.model_fields)) if isinstance(data, dict) else []
    if unexpected:
        return CheckFailure(
            reason=Reason.INVALID_SHAPE, detail=f"{expected}; unexpected: {', '.join(unexpected)}"
        )
    try:
        return Copy.model_validate(data)
    except ValidationError as exc:
        fields = ", ".join(".".join(map(str, e["loc"])) or "root" for e in exc.errors())
        return CheckFailure(
            reason=Reason.INVALID_SHAPE, detail=f"{expected}; wrong or missing: {fields}"
        )


def check_copy(
    draft: Copy, request: ContentRequest, settings: ContentSettings
) -> tuple[Copy, CheckResult]:
    """Fill the slots of `draft` from the sources of truth and run every check on it.

    Returns the copy with slots filled (personal placeholders still open) and the result.
    Wording checks read the draft, so a product name from the catalog is not judged as our claim.
    """
    slots = slot_values(request, settings)
    allowed = set(slots) | allowed_personal_placeholders(request)
    failures = check_placeholders(draft, allowed)
    failures += check_banned_terms(draft.full_text(), settings.banned_terms.values())
    failures += check_tone(draft, request, settings)
    rendered = render_copy(draft, {name: as_text(value) for name, value in slots.items()})
    failures += check_links(rendered.full_text(), settings)
    failures += check_channel_rules(rendered, request, settings, slots)
    failures += check_figures(
        rendered.full_text(), request.recent_items, request.offer, request.picks
    )
    return rendered, CheckResult(failures=failures)


def check_llm_copy(
    draft: Copy, request: ContentRequest, settings: ContentSettings
) -> tuple[Copy, CheckResult]:
    """check_copy, then whether the copy makes sense to its reader (content.sense): what a model
    wrote is judged for that too, the templates' wording and subject were chosen by people; and
    whether it is the prompt's example handed back (content.example)."""
    copy, result = check_copy(draft, request, settings)
    failures = [
        *result.failures,
        *check_sense(draft, request, settings),
        *check_copied_example(draft, request, settings),
        *check_echoed_prompt(draft, request),
    ]
    return copy, CheckResult(failures=failures)


def check_echoed_prompt(draft: Copy, request: ContentRequest) -> list[CheckFailure]:
    """Not our instructions read back: SmolLM2-135M answered a welcome with "In-app message:
    welcome a new customer, point them to picks from the categories they like..."."""
    share = shared_pairs(f"{draft.title}\n{draft.body}", PURPOSES[request.template_id])
    if share <= COPY_THRESHOLD:
        return []
    return [
        CheckFailure(
            reason=Reason.ECHOED_PROMPT,
            detail=f"{share:.0%} of its wording repeats what the message is for; write to the "
            "customer instead",
        )
    ]


def check_placeholders(copy: Copy, allowed: set[str]) -> list[CheckFailure]:
    text = copy.full_text()
    unknown = sorted(placeholders_in(text) - allowed)
    # A broken one ("{{item Wool scarf_stock_note}}", as Qwen2.5-Coder-0.5B wrote) is no
    # placeholder to fill and would reach the customer braces and all.
    broken = _BROKEN_PLACEHOLDER.findall(PLACEHOLDER.sub(" ", text))
    if not unknown and not broken:
        return []
    names = ", ".join([*("{{" + name + "}}" for name in unknown), *broken])
    return [
        CheckFailure(
            reason=Reason.UNKNOWN_PLACEHOLDER, detail=f"{names} not available for this message"
        )
    ]


def check_banned_terms(text: str, term_lists: Iterable[list[str]]) -> list[CheckFailure]:
    hits = [term for terms in term_lists for term in terms if word_pattern(term).search(text)]
    return [
        CheckFailure(reason=Reason.BANNED_WORD, detail=f"banned or exaggerated term {term!r}")
        for term in dict.fromkeys(hits)
    ]


def check_links(text: str, settings: ContentSettings) -> list[CheckFailure]:
    allowed = {h.lower() for h in settings.allowed_link_hosts}
    allowed.add((urlsplit(settings.faq_url).hostname or "").lower())
    failures = []
    for url in _URL.findall(text):
        host = (urlsplit(url if "://" in url else f"http://{url}").hostname or "").lower()
        if not any(host == a or host.endswith(f".{a}") for a in allowed if a):
            failures.append(CheckFailure(reason=Reason.UNKNOWN_LINK, detail=f"link to {host!r}"))
    return failures


def check_channel_rules(
    copy: Copy, request: ContentRequest, settings: ContentSettings, slots: dict[str, str]
) -> list[CheckFailure]:
    failures: list[CheckFailure] = []
    text = copy.full_text()
    if request.channel is Channel.SMS:
        message = sms_text(copy)
        length = measured_length(message)
        if not message:
            failures.append(CheckFailure(reason=Reason.INVALID_SHAPE, detail="empty SMS"))
        if length > settings.sms_max_chars:
            failures.append(
                CheckFailure(
                    reason=Reason.SMS_TOO_LONG,
                    detail=f"SMS is {length} characters, limit {settings.sms_max_chars} "
                    "with the opt-out line",
                )
            )
        if not any(re.search(p, message, re.IGNORECASE) for p in settings.sms_opt_out_patterns):
            line = settings.sms_opt_out.get(request.language, "")
            failures.append(
                CheckFailure(reason=Reason.MISSING_OPT_OUT, detail=f"SMS must end with {line!r}")
            )
        return failures

    for field in ("title", "body", "cta"):
        if not getattr(copy, field).strip():
            failures.append(CheckFailure(reason=Reason.INVALID_SHAPE, detail=f"{field} is empty"))
    if request.channel is Channel.PUSH:
        length = measured_length(copy.title)
        if length > settings.push_title_max_chars:
            failures.append(
                CheckFailure(
                    reason=Reason.PUSH_TITLE_TOO_LONG,
                    detail=f"push title is {length} characters, "
                    f"limit {settings.push_title_max_chars}",
                )
            )
    elif request.channel is Channel.EMAIL:
        if settings.faq_url not in text:
            failures.append(
                CheckFailure(reason=Reason.MISSING_FAQ_LINK, detail="email lacks the FAQ link")
            )
        if not _contains_any(text, settings.email_unsubscribe_terms):
            failures.append(
                CheckFailure(
                    reason=Reason.MISSING_UNSUBSCRIBE, detail="email lacks an unsubscribe line"
                )
            )
    elif request.channel is Channel.WECHAT:
        if not _contains_any(text, settings.view_details_terms):
            failures.append(
                CheckFailure(
                    reason=Reason.MISSING_VIEW_DETAILS,
                    detail=f"WeChat text needs one of {settings.view_details_terms}",
                )
            )
        validity = slots.get("offer_valid_until")
        if validity is not None and validity not in text:
            failures.append(
                CheckFailure(
                    reason=Reason.MISSING_OFFER_VALIDITY,
                    detail=f"WeChat text must state the offer's validity ({validity})",
                )
            )
    return failures


def _contains_any(text: str, terms: Iterable[str]) -> bool:
    lowered = text.lower()
    return any(term.lower() in lowered for term in terms)
