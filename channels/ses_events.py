"""Amazon SES events through SNS: Delivery, Bounce, Complaint, Open, Click, Reject, Subscription.

Sending stays SMTP (SES's SMTP interface). Each email carries `X-SES-MESSAGE-TAGS:
journeys_message_id=<message id>` (and `X-SES-CONFIGURATION-SET` when one is set), so event
publishing names our message in `mail.tags`; identity notifications (no configuration set) are
matched by `X-Journeys-Message-Id` in `mail.headers` when SES includes the original headers, else
by `mail.commonHeaders.messageId` (our Message-ID, the ledger's provider reference).

The SNS `Message` is the SES event as JSON: `eventType` (event publishing) or
`notificationType` (identity notifications). The SNS `MessageId` is the receipt id: SNS retries a
delivery with the same id, and the ledger applies it once.
"""

import json
from datetime import datetime
from typing import Any

from models.receipts import Receipt, ReceiptType

TAGS_HEADER = "X-SES-MESSAGE-TAGS"
CONFIGURATION_SET_HEADER = "X-SES-CONFIGURATION-SET"
MESSAGE_TAG = "journeys_message_id"
_MESSAGE_HEADER = "x-journeys-message-id"

_EVENTS = {
    "Delivery": ("delivery", ReceiptType.DELIVERED),
    "Bounce": ("bounce", ReceiptType.BOUNCED),
    "Complaint": ("complaint", ReceiptType.COMPLAINED),
    "Open": ("open", ReceiptType.OPENED),
    "Click": ("click", ReceiptType.CLICKED),
    "Reject": ("reject", ReceiptType.BOUNCED),
    "Subscription": ("subscription", ReceiptType.UNSUBSCRIBED),
}


def ses_headers(message_id: str, configuration_set: str) -> dict[str, str]:
    headers = {TAGS_HEADER: f"{MESSAGE_TAG}={message_id}"}
    if configuration_set:
        headers[CONFIGURATION_SET_HEADER] = configuration_set
    return headers


def notification_receipt(sns_message_id: str, ses_event: str, received: datetime) -> Receipt | None:
    """The receipt an SES event (the SNS Message) is; None for Send, DeliveryDelay, Rendering
    Failure and events naming no message of ours. Raises ValueError for a body that is not an
    SES event."""
    event = json.loads(ses_event)
    if not isinstance(event, dict) or not isinstance(event.get("mail"), dict):
        raise ValueError("not an SES event: mail is required")
    kind = event.get("eventType") or event.get("notificationType")
    if kind not in _EVENTS:
        return None
    detail_name, receipt_type = _EVENTS[str(kind)]
    found = event.get(detail_name)
    detail: dict[str, Any] = found if isinstance(found, dict) else {}
    mail: dict[str, Any] = event["mail"]
    message_id = _tagged(mail) or _header(mail)
    provider_ref = _common_message_id(mail)
    if message_id is None and provider_ref is None:
        return None
    return Receipt(
        receipt_id=sns_message_id,
        type=receipt_type,
        message_id=message_id,
        provider_ref=provider_ref,
        occurred_at=_timestamp(detail.get("timestamp"))
        or _timestamp(mail.get("timestamp"))
        or received,
        reason=_reason(str(kind), detail),
    )


def _tagged(mail: dict[str, Any]) -> str | None:
    tags = mail.get("tags")
    values = tags.get(MESSAGE_TAG) if isinstance(tags, dict) else None
    return str(values[0]) if isinstance(values, list) and values else None


def _header(mail: dict[str, Any]) -> str | None:
    for header in mail.get("headers") or []:
        if isinstance(header, dict) and str(header.get("name", "")).lower() == _MESSAGE_HEADER:
            return str(header.get("value") or "") or None
    return None


def _common_message_id(mail: dict[str, Any]) -> str | None:
    common = mail.get("commonHeaders")
    value = common.get("messageId") if isinstance(common, dict) else None
    return f"<{str(value).strip('<>')}>" if value else None


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else None


def _reason(kind: str, detail: dict[str, Any]) -> str | None:
    if kind == "Bounce":
        return f"{detail.get('bounceType', '')}/{detail.get('bounceSubType', '')}"[:200]
    if kind == "Complaint":
        return str(detail.get("complaintFeedbackType") or "") or None
    if kind == "Reject":
        return str(detail.get("reason") or "rejected")[:200]
    return None
