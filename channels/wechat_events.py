"""WeChat's event pushes to the account's server URL (服务器配置), read without a relay.

WeChat signs each request in its query: `signature` = hex SHA-1 of the account's Token, the
`timestamp` and the `nonce`, sorted and joined. The URL check when the server URL is saved is a
GET that must answer `echostr`; events are POSTed as XML (plain-text or compatible mode; safe
mode's encrypted-only body is not read) and must be answered `success` within 5 seconds, or
WeChat tries twice more.

Events read:
- `TEMPLATESENDJOBFINISH`: the result of a template message, named by the `MsgID` the send
  returned (the ledger's provider reference): `Status` success → delivered; `failed:user block`
  (the customer refuses the account's messages) and `failed: system failed` → bounced.
- `unsubscribe`: the customer stopped following the account (`FromUserName` is their openid);
  WeChat messages can no longer reach them, so the WeChat channel closes for them.
Anything else (subscribe, menu clicks, messages) is acknowledged and left alone.
"""

import hashlib
import hmac
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from datetime import UTC, datetime

from models.receipts import Receipt, ReceiptType

_FAILURES = {"failed:user block": "user_block", "failed: system failed": "system_failed"}
_DECLARATIONS = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


class WeChatPushError(ValueError):
    """Not a push WeChat signed, or not its XML."""


def wechat_signature(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def verify_push(
    token: str,
    signature: str | None,
    timestamp: str | None,
    nonce: str | None,
    now: datetime,
    tolerance_seconds: int,
) -> None:
    if not (signature and timestamp and nonce):
        raise WeChatPushError("signature, timestamp and nonce are required")
    if not timestamp.isdigit() or abs(now.timestamp() - int(timestamp)) > tolerance_seconds:
        raise WeChatPushError("timestamp outside the tolerance")
    if not hmac.compare_digest(wechat_signature(token, timestamp, nonce), signature):
        raise WeChatPushError("signature does not match")


@dataclass(frozen=True)
class WeChatEvent:
    openid: str
    event: str  # the Event element ("" for a customer's message), as WeChat spells it
    created_at: datetime
    fields: dict[str, str]


def parse_push(body: bytes) -> WeChatEvent:
    """The push's top-level elements. A DTD is refused outright: WeChat never sends one, and
    entity declarations are how XML bodies attack parsers."""
    if _DECLARATIONS.search(body):
        raise WeChatPushError("a DTD is not accepted")
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as err:
        raise WeChatPushError(f"not XML: {err}") from err
    fields = {child.tag: (child.text or "").strip() for child in root}
    created = fields.get("CreateTime", "")
    if root.tag != "xml" or not fields.get("FromUserName") or not created.isdigit():
        raise WeChatPushError("not a WeChat push: FromUserName and CreateTime are required")
    return WeChatEvent(
        openid=fields["FromUserName"],
        event=fields.get("Event", ""),
        created_at=datetime.fromtimestamp(int(created), UTC),
        fields=fields,
    )


def template_receipt(event: WeChatEvent) -> Receipt | None:
    """The receipt a TEMPLATESENDJOBFINISH is; None for any other push."""
    msg_id = event.fields.get("MsgID") or event.fields.get("MsgId")
    if event.event != "TEMPLATESENDJOBFINISH" or not msg_id:
        return None
    status = event.fields.get("Status", "")
    delivered = status == "success"
    return Receipt(
        receipt_id=f"template:{msg_id}",
        type=ReceiptType.DELIVERED if delivered else ReceiptType.BOUNCED,
        provider_ref=msg_id,
        occurred_at=event.created_at,
        reason=None if delivered else _FAILURES.get(status, status[:64] or "failed"),
    )
