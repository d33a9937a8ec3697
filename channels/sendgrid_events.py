"""SendGrid's signed Event Webhook: delivered, bounce, open, click, spam report, unsubscribe.

Sending stays SMTP (SendGrid's relay, smtp.sendgrid.net); each email then carries
`X-SMTPAPI: {"unique_args": {"journeys_message_id": "<message id>"}}`, which SendGrid copies into
every event of that email. Events without it are matched by `smtp-id` (our Message-ID, the
ledger's provider reference); opens and clicks carry only the unique arg.

Signature (Mail Settings → Signed Event Webhook): `X-Twilio-Email-Event-Webhook-Signature` is a
base64 ECDSA P-256 / SHA-256 signature (DER) over the `X-Twilio-Email-Event-Webhook-Timestamp`
value followed by the raw body, checked with the verification key SendGrid shows (base64 of the
public key's DER). SendGrid retries a failed POST for up to 24 hours with the same signature, so
no age limit applies; a replay only repeats events whose `sg_event_id` the ledger already holds.
"""

import base64
import binascii
import json
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key

from models.receipts import Receipt, ReceiptType

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
SMTPAPI_HEADER = "X-SMTPAPI"
MESSAGE_ARG = "journeys_message_id"

_EVENTS = {
    "delivered": ReceiptType.DELIVERED,
    "open": ReceiptType.OPENED,
    "click": ReceiptType.CLICKED,
    "bounce": ReceiptType.BOUNCED,
    "dropped": ReceiptType.BOUNCED,  # SendGrid will not send it (suppressed, invalid)
    "spamreport": ReceiptType.COMPLAINED,
    "unsubscribe": ReceiptType.UNSUBSCRIBED,
    "group_unsubscribe": ReceiptType.UNSUBSCRIBED,
}


class SendGridSignatureError(ValueError):
    pass


def smtpapi_header(message_id: str) -> str:
    return json.dumps({"unique_args": {MESSAGE_ARG: message_id}}, separators=(",", ":"))


def verify_sendgrid(
    verification_key: str, body: bytes, signature: str | None, timestamp: str | None
) -> None:
    if not signature or not timestamp:
        raise SendGridSignatureError(f"{SIGNATURE_HEADER} and {TIMESTAMP_HEADER} are required")
    try:
        key = load_der_public_key(base64.b64decode(verification_key))
        raw_signature = base64.b64decode(signature, validate=True)
    except (ValueError, binascii.Error) as err:
        raise SendGridSignatureError("signature or verification key unreadable") from err
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise SendGridSignatureError("the verification key is not an ECDSA key")
    try:
        key.verify(raw_signature, timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as err:
        raise SendGridSignatureError("signature does not match") from err


def event_receipt(event: dict[str, object]) -> Receipt | None:
    """The receipt a SendGrid event is; None for processed, deferred, machine opens (Apple
    Mail Privacy Protection opens every email) and events naming no message of ours."""
    kind = _EVENTS.get(str(event.get("event")))
    if kind is None or event.get("sg_machine_open") is True:
        return None
    message_id, smtp_id = event.get(MESSAGE_ARG), event.get("smtp-id")
    if not isinstance(message_id, str) and not isinstance(smtp_id, str):
        return None
    stamp = event.get("timestamp")
    reason = event.get("reason") or event.get("type")
    return Receipt(
        receipt_id=str(event.get("sg_event_id") or ""),
        type=kind,
        message_id=message_id if isinstance(message_id, str) else None,
        provider_ref=smtp_id if isinstance(smtp_id, str) else None,
        occurred_at=datetime.fromtimestamp(stamp, UTC)
        if isinstance(stamp, int)
        else datetime.now(UTC),
        reason=str(reason)[:200] if reason else None,
    )
