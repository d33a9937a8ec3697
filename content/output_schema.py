"""The JSON schema of one message's copy, sent with the request so that a server which constrains
decoding to it (OpenAI's and vLLM's `json_schema`, llama-cpp-python's `json_object` with a
`schema`, which it turns into a grammar) enforces the structure the checks need instead of
hoping a small model keeps to it. The model still writes the words; every check still runs on
the answer (a server may ignore the schema).

- `title` and `body`: the model's own text, in any language, without digits, currency or
  percent signs, `_`, braces, colons, slashes, quotes or line breaks. Figures, codes and links
  come only as the placeholders offered for this message (`{{item1_price}}`, `{{offer_value}}`),
  so a number nobody gave, a snake_case field name or a `Label:` cannot be written. A push
  title has at most `push_title_max_chars` characters; an SMS body leaves room for its opt-out
  line (the length bounds are in the pattern: llama-cpp-python ignores `maxLength` next to one).
- `body` names one of the things it is about (`content.sense.subjects`: an item or pick by
  placeholder or name, the support topic, the chosen categories), where there are any.
- `cta`: one of our button labels in the customer's language (the template library's); on
  WeChat exactly "view details"; an SMS has none (and no title).
- `disclaimers`: exactly the lines the channel requires (SMS: the opt-out line, last; email:
  the FAQ and unsubscribe lines; WeChat: the offer's validity), fixed legal lines the checks
  already leave out of what they judge as the model's wording.

The patterns keep to what llama.cpp's regex-to-grammar converter reads: character classes,
groups, alternation and `{m,n}`; no `\\d`, no escapes but of `[](){}|*+?`.
"""

import re
from typing import Any

from content.library import load_library
from content.placeholders import token
from content.request import ContentRequest
from content.sense import subjects
from content.settings import ContentSettings
from content.slots import allowed_personal_placeholders, slot_values
from models.channels import Channel

# A character of the model's own text: not a digit (ASCII or full-width), currency or percent
# sign, `_`, brace, bracket, colon, slash, quote, backslash, markup or control character.
_FREE = r'[^"\\\x00-\x1f0-9０-９¥￥$€£%％_{}\[\]()<>:：/\\|*#@=~^`]'
_TITLE_MAX = 60
# Words a literal alternative may hold: letters (Latin, Chinese), spaces, hyphens, apostrophes.
_LITERAL = re.compile(r"[A-Za-z\u3400-\u9fff' -]+")
_ESCAPE = re.compile(r"([\[\](){}|*+?])")


def copy_schema(request: ContentRequest, settings: ContentSettings) -> dict[str, Any]:
    """The schema the answer for `request` must match (strict: exactly the four fields)."""
    unit = (
        "("
        + "|".join([_FREE, *(_escaped(token(p)) for p in _placeholders(request, settings))])
        + ")"
    )
    sms = request.channel is Channel.SMS
    required = required_lines(request, settings)
    if sms:
        room = settings.sms_max_chars - sum(len(line) + 1 for line in required)
        title: dict[str, Any] = {"type": "string", "enum": [""]}
        body = f"^{unit}{{1,{max(room, 1)}}}$"
    else:
        width = settings.push_title_max_chars if request.channel is Channel.PUSH else _TITLE_MAX
        title = {"type": "string", "pattern": f"^{_FREE}{{1,{width}}}$"}
        named = _subject_pattern(request, settings)
        body = f"^{unit}*{named}{unit}*$" if named else f"^{unit}+$"
    return {
        "type": "object",
        "properties": {
            "title": title,
            "body": {"type": "string", "pattern": body},
            "cta": {"type": "string", "enum": call_to_actions(request, settings)},
            "disclaimers": {"type": "array", "items": {"type": "string"}, "const": required},
        },
        "required": ["title", "body", "cta", "disclaimers"],
        "additionalProperties": False,
    }


def call_to_actions(request: ContentRequest, settings: ContentSettings) -> list[str]:
    """The button labels the copy may use: our templates' in the customer's language (this
    message's first); WeChat's is "view details"; an SMS has no button."""
    library = load_library(request.language)
    if request.channel is Channel.SMS:
        return [""]
    if request.channel is Channel.WECHAT:
        return [library.phrases.view_details]
    own = library.templates[request.template_id].cta
    return list(dict.fromkeys([own, *sorted(t.cta for t in library.templates.values())]))


def required_lines(request: ContentRequest, settings: ContentSettings) -> list[str]:
    """The fixed lines the channel requires, as the templates word them."""
    phrases = load_library(request.language).phrases
    match request.channel:
        case Channel.SMS:
            return [settings.sms_opt_out[request.language]]
        case Channel.EMAIL:
            return [phrases.faq_line, phrases.unsubscribe_line]
        case Channel.WECHAT if "offer_valid_until" in slot_values(request, settings):
            return [phrases.valid_until_line]
        case _:
            return []


def _placeholders(request: ContentRequest, settings: ContentSettings) -> list[str]:
    return sorted({*slot_values(request, settings), *allowed_personal_placeholders(request)})


def _subject_pattern(request: ContentRequest, settings: ContentSettings) -> str:
    """One of the things the message is about, as the subject check recognises them."""
    terms = [
        term
        for _, names in subjects(request, settings)
        for term in names
        if term.startswith("{{") or _LITERAL.fullmatch(term)
    ]
    return "(" + "|".join(_escaped(t) for t in dict.fromkeys(terms)) + ")" if terms else ""


def _escaped(text: str) -> str:
    return _ESCAPE.sub(r"\\\1", text)
