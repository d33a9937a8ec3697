"""Personal placeholders, filled at delivery so the ledger and the LLM never hold personal data.

The copy keeps `{{first_name}}`, `{{coupon_code}}`, `{{unsubscribe_url}}` and `{{store_map_link}}`
open (content/placeholders.py); delivery fills them from the customer, the trigger event and the
message's links, in one pass, so a value is inserted as it is and never read as a placeholder.
Text that came from data (a product name) has its braces as `{{lbrace}}`, filled with `{`.
A placeholder nobody can fill fails the message (reason `unfilled_placeholder`) rather than
showing braces to a customer.
"""

import base64
import hashlib
import hmac
import re

from content.placeholders import LITERAL_VALUES, PLACEHOLDER
from models.customers import Customer

# Widths the content checks reserved for each value (content.placeholders.PERSONAL_PLACEHOLDERS).
FIRST_NAME_WIDTH = 8
COUPON_CODE_WIDTH = 12
# Said instead of a name the profile does not have.
_NO_NAME = {"en": "there", "zh": "顾客"}


class UnfilledPlaceholderError(ValueError):
    pass


def fill(text: str, values: dict[str, str]) -> str:
    values = values | LITERAL_VALUES

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise UnfilledPlaceholderError(f"no value for {{{{{name}}}}}")
        return values[name]

    return PLACEHOLDER.sub(value, text)


def shows_coupon(*texts: str | None) -> bool:
    """Whether any of the texts has a `{{coupon_code}}` to fill."""
    return any(
        match.group(1) == "coupon_code"
        for text in texts
        if text
        for match in PLACEHOLDER.finditer(text)
    )


def personal_values(
    customer: Customer,
    *,
    coupon_code: str,
    unsubscribe_url: str | None,
    cta_url: str,
) -> dict[str, str]:
    name = str(customer.attributes.get("first_name") or "").strip()
    values = {
        "first_name": name[:FIRST_NAME_WIDTH] or _NO_NAME.get(customer.locale[:2].lower(), "there"),
        "coupon_code": coupon_code[:COUPON_CODE_WIDTH],
        "store_map_link": str(customer.attributes.get("store_map_link") or cta_url),
    }
    if unsubscribe_url:
        values["unsubscribe_url"] = unsubscribe_url
    return values


def message_coupon_code(secret: str, message_id: str) -> str:
    """A code unique to the message when the trigger carried none (a coupon_issued event does):
    ten letters and digits derived from the message id with a secret, so nobody can guess
    another customer's. The shop's checkout must know to accept it; issuing coupons is not
    part of this system."""
    digest = hmac.new(secret.encode(), f"coupon:{message_id}".encode(), hashlib.sha256).digest()
    return "J" + base64.b32encode(digest).decode()[:9]
