"""The example message a prompt shows the model, and how close an answer comes to copying it.

A small model shown our template for the very message it is asked to write hands that template
back (SmolLM2-135M did, word for word, in every answer that passed the checks): copy that costs a
model call and says nothing the template does not. So the example is our template for the same
kind of message written about *other* items, named in plain words ("Rain jacket"): it shows the
form (length, tone, the lines a channel requires) while an answer that copies it names the wrong
item, and `check_copied_example` (content.sense) turns away any answer whose wording is mostly
the example's.
"""

import re

from content.copy_text import Copy
from content.fallback import render_fallback
from content.library import load_library
from content.placeholders import PLACEHOLDER, render_copy
from content.reasons import CheckFailure, Reason
from content.request import ContentRequest
from content.settings import ContentSettings

# Items no request is about, to write the example for (any that share a request's item name
# are skipped). Plain names, no figures: the example's prices and stock stay placeholders.
SAMPLE_ITEMS: dict[str, tuple[str, ...]] = {
    "en": ("Rain jacket", "Desk lamp", "Water bottle", "Wool socks", "Travel pillow"),
    "zh": ("防水外套", "护眼台灯", "保温水杯", "羊毛袜子", "旅行枕头"),
}
# An answer sharing more than this share of its word pairs with the example copied it.
COPY_THRESHOLD = 0.6

_TOKEN = re.compile(r"\{\{\s*[A-Za-z0-9_]+\s*\}\}|[A-Za-z]+|\d+|[\u3400-\u4dbf\u4e00-\u9fff]")


def example_copy(request: ContentRequest, settings: ContentSettings) -> Copy:
    """Our template for this message (journey step, channel, language, variant, offer), written
    for sample items instead of the request's, their names filled in."""
    taken = {(item.name or "").strip().lower() for item in request.recent_items}
    names = [n for n in SAMPLE_ITEMS[request.language] if n.lower() not in taken]
    items = [
        item.model_copy(update={"sku": f"EXAMPLE-{index}", "name": name, "category": None})
        for index, (item, name) in enumerate(zip(request.recent_items, names, strict=False), 1)
    ]
    draft = render_fallback(request.model_copy(update={"recent_items": items}), settings)
    return render_copy(draft, {f"item{i}_name": item.name for i, item in enumerate(items, 1)})


def check_copied_example(
    draft: Copy, request: ContentRequest, settings: ContentSettings
) -> list[CheckFailure]:
    """An answer that is mostly the example's wording is not copy written for this message."""
    if not settings.prompt_example:
        return []
    share = overlap(draft, example_copy(request, settings), request, settings)
    if share <= COPY_THRESHOLD:
        return []
    return [
        CheckFailure(
            reason=Reason.COPIED_EXAMPLE,
            detail=f"{share:.0%} of its wording is the example's; the example is about other "
            "items: write your own sentences about the items given",
        )
    ]


def overlap(
    answer: Copy, example: Copy, request: ContentRequest, settings: ContentSettings
) -> float:
    """The share of the answer's word pairs (Chinese: character pairs) that the example has too,
    in its title and body, leaving out the lines every message of the channel must carry (the
    opt-out, FAQ and unsubscribe lines, the validity). Copy written afresh shares a few pairs
    ("your cart"); the example handed back, or with one name swapped, shares most."""
    required = _required_lines(request, settings)
    return shared_pairs(_own_text(answer, required), _own_text(example, required))


def shared_pairs(text: str, source: str) -> float:
    """The share of `text`'s word pairs that `source` has too (0 for a text of one word)."""
    mine = _pairs(text)
    if not mine:
        return 0.0
    return len(mine & _pairs(source)) / len(mine)


def _own_text(copy: Copy, required: list[str]) -> str:
    text = f"{copy.title}\n{copy.body}"
    for line in required:
        text = text.replace(line, " ")
    return text


def _required_lines(request: ContentRequest, settings: ContentSettings) -> list[str]:
    phrases = load_library(request.language).phrases
    lines = [
        settings.sms_opt_out[request.language],
        phrases.faq_line,
        phrases.unsubscribe_line,
        phrases.valid_until_line,
    ]
    return [line for line in lines if line]


def _pairs(text: str) -> set[tuple[str, str]]:
    tokens = [PLACEHOLDER.sub(r"{{\1}}", t).lower() for t in _TOKEN.findall(text)]
    return set(zip(tokens, tokens[1:], strict=False))
