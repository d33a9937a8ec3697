"""Checks that copy makes sense to the customer who reads it: cheap, deterministic, one reason
code each, so the ledger says which one an answer failed.

- language: written in the customer's language;
- finished: no text left hanging on a comma, a bracket or a label with nothing after it;
- numbers: none the sources did not give (a return window, a delivery time);
- subject: names at least one of the things the message was given to talk about;
- internal terms: none of our identifiers, field names or trade jargon ("Journey: Cart
  Abandonment", `cart_abandonment`, a SKU, "CTA:");
- call to action: one that fits the channel.

They read the draft, placeholders still open, so a product name from the catalog (in whatever
language) is judged as the catalog's, not as the copy's own words.
"""

import re
from collections.abc import Iterable
from functools import cache

from content.copy_text import Copy, sms_text
from content.fallback import render_fallback
from content.figures import extract_figures
from content.library import load_library
from content.placeholders import PLACEHOLDER, token
from content.reasons import CheckFailure, Reason
from content.request import ContentRequest
from content.settings import ContentSettings
from content.slots import slot_values
from models.channels import Channel

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_UNREADABLE = "\ufffd"
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# Words nearly every English sentence has: a few Latin words with none of them are not English.
_ENGLISH_WORDS = frozenset(
    "a an the you your we our us to for of in on at with and or is are it its this that here "
    "now still back be can get my me".split()
)
_IDENTIFIER = re.compile(r"(?<![\w{])[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+(?![\w}])")
_STAGE = re.compile(r"(?<![A-Za-z])stage\s*\d", re.IGNORECASE)
# Field names of our prompts and models, followed by a colon as a model echoes them.
_LABEL = re.compile(
    r"(?<![A-Za-z])(?:journey|stage|intent|purchase intent|segment|variant|rational|emotional|"
    r"price sensitivity|active hours|support topic|interest categories|customer context|"
    r"placeholders?|title|body|cta|disclaimers?|channel|language|tone)\s*[:：=]",
    re.IGNORECASE,
)
_BUTTON_WORDS = re.compile(r"(?<![A-Za-z])(?:tap|click|button)(?![A-Za-z])|点击|按钮", re.I)
_SMS_ACTIONS = re.compile(
    r"(?<![A-Za-z])(?:reply|text back|opt[\s-]?out|unsubscribe)(?![A-Za-z])|回复|退订", re.I
)
_HANGING = ",:;，：；、{[(<"
# A button's words: letters, digits, spaces and a little punctuation; no symbols or braces.
_CTA_CHARACTERS = re.compile(r"[\w\s'’!?.,&+-]+")
_CTA_MAX_WORDS = 5
_CTA_MAX_CJK = 10


def check_sense(
    draft: Copy, request: ContentRequest, settings: ContentSettings
) -> list[CheckFailure]:
    return [
        *check_language(draft, request),
        *check_finished(draft),
        *check_numbers(draft, request, settings),
        *check_subject(draft, request, settings),
        *check_internal_terms(draft, request, settings),
        *check_call_to_action(draft, request, settings),
    ]


def check_language(draft: Copy, request: ContentRequest) -> list[CheckFailure]:
    # The copy's own words: the disclaimers may be the channel's fixed lines (content.output_schema
    # makes them so), whose Chinese made an English title and body count as Chinese.
    own = "\n".join([draft.title, draft.body, draft.cta])
    prose = _prose(own, [item.name for item in request.recent_items])
    if _UNREADABLE in prose:
        # A character a model's tokens cut in two reaches the reader as "�" in any language.
        return [CheckFailure(reason=Reason.WRONG_LANGUAGE, detail="copy has unreadable characters")]
    cjk = len(_CJK.findall(prose))
    words = [word.lower() for word in _LATIN_WORD.findall(prose)]
    other = sum(1 for c in prose if c.isalpha() and not c.isascii() and not _CJK.match(c))
    if request.language == "zh":
        # Chinese copy may hold a Latin brand or "TD", but mostly Chinese characters.
        fits = cjk > 0 and cjk >= len(words) and other * 10 <= cjk
        wanted = "Chinese"
    else:
        letters = sum(len(word) for word in words)
        fits = (
            cjk == 0
            and other * 10 <= letters
            and (len(words) < 3 or any(word in _ENGLISH_WORDS for word in words))
        )
        wanted = "English"
    if fits:
        return []
    return [
        CheckFailure(
            reason=Reason.WRONG_LANGUAGE,
            detail=f"copy must be in {wanted}; it has {cjk} Chinese characters, {len(words)} "
            f"Latin words and {other} other letters",
        )
    ]


def check_finished(draft: Copy) -> list[CheckFailure]:
    """No part left hanging: ending on a comma, an opening bracket, or a label ("Code:") with
    nothing after it."""
    ends = [part.strip() for part in draft.parts()]
    hanging = [part for part in ends if part and part[-1] in _HANGING]
    if not hanging:
        return []
    return [
        CheckFailure(
            reason=Reason.UNFINISHED_TEXT, detail=f"text left unfinished: {hanging[0][-40:]!r}"
        )
    ]


def check_numbers(
    draft: Copy, request: ContentRequest, settings: ContentSettings
) -> list[CheckFailure]:
    """Every number the copy writes itself comes from a source: the reviewed wording of this
    message (its template: "7-day returns"), a figure it was given, or a product's name. A
    return window or a delivery time the model made up is a promise nobody made. (Prices,
    discounts and stock levels are left to the figure checks.)"""
    library = load_library(request.language)
    sources = [
        library.templates[request.template_id].model_dump_json(),  # every channel's wording
        render_fallback(request, settings).full_text(),
        *slot_values(request, settings).values(),
        *(item.name or "" for item in request.recent_items),
    ]
    given = {number for text in sources for number in _NUMBER.findall(text)}
    prose = _prose(draft.full_text(), [])
    # Prices, discounts and stock levels are the figure checks' to judge, against the catalog.
    for figure in extract_figures(prose):
        prose = prose.replace(figure.text, " ")
    made_up = [n for n in _NUMBER.findall(prose) if n not in given]
    if not made_up:
        return []
    listed = ", ".join(dict.fromkeys(made_up))
    return [CheckFailure(reason=Reason.INVENTED_NUMBER, detail=f"numbers no source gave: {listed}")]


def subjects(request: ContentRequest, settings: ContentSettings) -> list[tuple[str, list[str]]]:
    """What the message was given to talk about, each with the words that name it: every item
    (by its placeholder or its name), every recommended pick (likewise) and the support topic.
    Whatever else a request comes to carry for the copy to talk about belongs here too."""
    found: list[tuple[str, list[str]]] = []
    for index, item in enumerate(request.recent_items[: settings.max_items], start=1):
        names = [token(f"item{index}_name"), *_name_terms(item.name or "")]
        found.append((f"item {item.name or item.sku}", names))
    for index, pick in enumerate(request.picks, start=1):
        found.append((f"pick {pick.name}", [token(f"pick{index}_name"), *_name_terms(pick.name)]))
    if request.support_topic is not None:
        terms = settings.support_topic_terms.get(request.language, {}).get(request.support_topic)
        if terms:
            found.append((f"the {request.support_topic} topic", list(terms)))
    if (
        request.interest_categories
        and load_library(request.language).templates[request.template_id].interests
    ):
        names = [token("interests"), *request.interest_categories]
        found.append(("the categories they chose", names))
    return found


def check_subject(
    draft: Copy, request: ContentRequest, settings: ContentSettings
) -> list[CheckFailure]:
    # An SMS (70 characters with the opt-out line) has no room to name an item.
    if request.channel is Channel.SMS:
        return []
    given = subjects(request, settings)
    text = draft.full_text()
    if not given or any(_mentions(text, terms) for _, terms in given):
        return []
    return [
        CheckFailure(
            reason=Reason.NAMES_NOTHING_GIVEN,
            detail="names none of what it is about: " + ", ".join(what for what, _ in given),
        )
    ]


def check_internal_terms(
    draft: Copy, request: ContentRequest, settings: ContentSettings
) -> list[CheckFailure]:
    prose = _prose(draft.full_text(), [])
    hits: list[str] = []
    hits += _IDENTIFIER.findall(prose)
    hits += [m.group(0) for m in _STAGE.finditer(prose)]
    hits += [m.group(0) for m in _LABEL.finditer(prose)]
    ours = [
        *(item.sku for item in request.recent_items),
        request.offer.offer_id if request.offer else "",
        # "winback.price" is ours; "welcome" is also a word
        request.template_id if re.search(r"[._]", request.template_id) else "",
        *(term for terms in settings.internal_terms.values() for term in terms),
    ]
    hits += [term for term in ours if len(term) >= 3 and word_pattern(term).search(prose)]
    if not hits:
        return []
    listed = ", ".join(repr(hit.strip()) for hit in dict.fromkeys(hits))
    return [
        CheckFailure(
            reason=Reason.INTERNAL_TERM,
            detail=f"internal identifiers or field names are not for customers: {listed}",
        )
    ]


def check_call_to_action(
    draft: Copy, request: ContentRequest, settings: ContentSettings
) -> list[CheckFailure]:
    if request.channel is Channel.SMS:
        message = sms_text(draft)
        if _BUTTON_WORDS.search(message):
            return [_cta("an SMS has no button or link to tap or click")]
        return []
    cta = PLACEHOLDER.sub("", draft.cta).strip()
    if not cta:
        return []  # an empty field fails the shape check
    problems = []
    if not _CTA_CHARACTERS.fullmatch(cta) or not any(c.isalpha() for c in cta):
        problems.append(f"call to action {cta!r} is not words")
    if len(_LATIN_WORD.findall(cta)) > _CTA_MAX_WORDS or len(_CJK.findall(cta)) > _CTA_MAX_CJK:
        problems.append(f"call to action {cta!r} is a sentence, not a button")
    if _SMS_ACTIONS.search(cta):
        problems.append(f"call to action {cta!r} is an SMS or unsubscribe action")
    if request.channel is Channel.WECHAT and not any(
        term.lower() in cta.lower() for term in settings.view_details_terms
    ):
        problems.append(f"a WeChat message's button reads one of {settings.view_details_terms}")
    return [_cta(problem) for problem in problems]


def _cta(detail: str) -> CheckFailure:
    return CheckFailure(reason=Reason.CTA_MISMATCH, detail=detail)


def _prose(text: str, names: Iterable[str]) -> str:
    """The copy's own words: no placeholders, links or catalog names."""
    text = _URL.sub(" ", PLACEHOLDER.sub(" ", text))
    for name in names:
        if name:
            text = re.sub(re.escape(name), " ", text, flags=re.IGNORECASE)
    return text


def _name_terms(name: str) -> list[str]:
    """A product name and its parts a copy may use for it: Latin words of four letters or more,
    the last two Chinese characters (the head noun: 亚麻衬衫 → 衬衫)."""
    if not name.strip():
        return []
    terms = [name.strip(), *(w for w in _LATIN_WORD.findall(name) if len(w) >= 4)]
    chinese = "".join(_CJK.findall(name))
    if len(chinese) > 2:
        terms.append(chinese[-2:])
    return terms


def _mentions(text: str, terms: Iterable[str]) -> bool:
    return any(word_pattern(term, prefix=True).search(text) for term in terms)


@cache
def word_pattern(term: str, prefix: bool = False) -> re.Pattern[str]:
    """`term` as a whole word where it starts or ends with a Latin letter or digit (a prefix
    with `prefix`: "return" names "returns"); anywhere where it is Chinese or a placeholder."""
    before = r"(?<![A-Za-z0-9])" if term[:1].isascii() and term[:1].isalnum() else ""
    tail_latin = term[-1:].isascii() and term[-1:].isalnum()
    after = r"(?![A-Za-z0-9])" if tail_latin and not prefix else ""
    return re.compile(before + re.escape(term) + after, re.IGNORECASE)
