"""Placeholders in copy: `{{name}}`.

Two kinds. Slots (item prices, stock notes, the offer's value and validity, the FAQ link) are
filled by the content step from the sources of truth before the checks run. Personal
placeholders stay open in the checked copy and are filled by `fill_placeholders` just before
sending, so that no name or code ever reaches the LLM.

A slot's value is text, never template: a product named `Shirt {{first_name}}` must reach the
customer as written. So every `{` of a value goes into the copy as `{{lbrace}}`, a placeholder
that delivery fills with `{` in the same single pass as the personal ones (a value inserted by a
pass is not read again), and nothing from data can become a placeholder.
"""

import re

from content.copy_text import Copy

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")

# Personal placeholder -> characters reserved for its value when a length limit is checked.
# Values longer than that make an SMS longer than checked: keep coupon codes within 12.
PERSONAL_PLACEHOLDERS: dict[str, int] = {
    "first_name": 8,
    "coupon_code": 12,
    "unsubscribe_url": 40,
    "store_map_link": 40,
}


# A pick's tracked link: `{{pick_url_<hex of the product id>}}`, filled at delivery with a link
# that records a click on that very pick. The name carries the product, so a delivery resumed
# from the ledger row needs no other record to fill it.
PICK_LINK_PREFIX = "pick_url_"


def pick_link(product_id: str) -> str:
    return PICK_LINK_PREFIX + product_id.encode().hex()


def pick_of_link(name: str) -> str | None:
    """The product id a pick-link placeholder names, or None for any other placeholder."""
    if not name.startswith(PICK_LINK_PREFIX):
        return None
    try:
        return bytes.fromhex(name.removeprefix(PICK_LINK_PREFIX)).decode()
    except ValueError:
        return None


# Stands for a literal "{" that came from data (see above); filled with "{" at delivery.
LBRACE = "lbrace"
LITERAL_VALUES = {LBRACE: "{"}


class MissingPlaceholderError(ValueError):
    """The copy needs a personal value the caller did not give; sending it would show `{{...}}`."""


def token(name: str) -> str:
    """The placeholder as written in copy: token("coupon_code") == "{{coupon_code}}"."""
    return "{{" + name + "}}"


def placeholders_in(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def render(text: str, values: dict[str, str]) -> str:
    """Replace the placeholders named in `values`; leave every other one as it is."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def as_text(value: str) -> str:
    """A value from data, made safe to put into copy: no placeholder can come out of it."""
    return value.replace("{", token(LBRACE))


def render_copy(copy: Copy, values: dict[str, str]) -> Copy:
    return Copy(
        title=render(copy.title, values),
        body=render(copy.body, values),
        cta=render(copy.cta, values),
        disclaimers=[render(d, values) for d in copy.disclaimers],
    )


def measured_length(text: str) -> int:
    """Length once personal placeholders are filled, counting each at its reserved width."""
    widths = {name: "x" * width for name, width in PERSONAL_PLACEHOLDERS.items()}
    return len(render(text, widths | LITERAL_VALUES))


def fill_placeholders(copy: Copy, values: dict[str, str]) -> Copy:
    """Fill the personal placeholders of checked copy, right before sending.

    `values` maps placeholder names (first_name, coupon_code, unsubscribe_url, store_map_link) to
    the customer's values. A first name is cut to its reserved width so the checked length holds.
    Raises MissingPlaceholderError if the copy uses a placeholder that `values` lacks.
    """
    needed = set().union(*(placeholders_in(part) for part in copy.parts())) - set(LITERAL_VALUES)
    missing = sorted(needed - set(values))
    if missing:
        raise MissingPlaceholderError(f"no value for placeholder(s): {', '.join(missing)}")
    filled = values | LITERAL_VALUES
    if "first_name" in filled:
        filled["first_name"] = filled["first_name"][: PERSONAL_PLACEHOLDERS["first_name"]]
    return render_copy(copy, filled)
