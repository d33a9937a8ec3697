"""SMS through Twilio's Messaging API; its status callbacks and inbound replies.

Send: `POST {base_url}/2010-04-01/Accounts/<AccountSid>/Messages.json`, HTTP Basic auth (the
Account SID and Auth Token, or an API key SID and secret), form fields `To`, `From` (or
`MessagingServiceSid`), `Body` (the SMS text with its opt-out line, channels/sms.py) and
`StatusCallback` = `<public_base_url>/v1/webhooks/twilio/status?message_id=<message id>`.
Success: 201 `{"sid": "SM...", "status": "queued", ...}`; the SID is the provider reference.

Errors are JSON `{"code": 21211, "message": "...", "more_info": "...", "status": 400}`:
- 429 (code 20429, too many concurrent requests) and 503: the message was not taken; retried,
  no sooner than a Retry-After when Twilio sends one.
- other 5xx: Twilio may have queued the message before failing. Its API takes no idempotency key,
  so a resend could reach the customer twice: the outcome is unknown (`OutcomeUnknown`) and, as
  for SMTP, the message is settled `delivery_unconfirmed` rather than sent again.
- 4xx: final for this channel (next channel), named for the common codes: 21211 (invalid `To`),
  21614 (not a mobile number), 21612 (no route), 21408 (region not enabled on the account),
  21610 (the recipient replied STOP to this sender: Twilio refuses until they reply START).

Callbacks carry `X-Twilio-Signature`: base64 HMAC-SHA1 keyed with the Auth Token, over the
full URL Twilio called followed by every POST parameter's name and value, sorted by name. The
URL is our public one (`CHANNELS__PUBLIC_BASE_URL`), since a proxy in front of the API changes
the one the request arrives with.
"""

import base64
import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlencode, urlsplit

import httpx

from channels.base import OutcomeUnknown, OutgoingMessage
from channels.http import call, provider_client, unkeyed_refusal
from channels.settings import TwilioSettings
from channels.sms import sms_text
from models.receipts import Receipt, ReceiptType

STATUS_CALLBACK_PATH = "/v1/webhooks/twilio/status"
INBOUND_PATH = "/v1/webhooks/twilio/inbound"
SIGNATURE_HEADER = "X-Twilio-Signature"

FINAL_CODES = {
    21211: "invalid_number",
    21408: "region_not_enabled",
    21610: "opted_out",
    21612: "unroutable",
    21614: "not_mobile",
}
# Delivery statuses that are receipts; queued, sending, sent, accepted... are steps on the way.
_RECEIPTS = {
    "delivered": ReceiptType.DELIVERED,
    "undelivered": ReceiptType.BOUNCED,
    "failed": ReceiptType.BOUNCED,
    "read": ReceiptType.OPENED,
}
# The carrier or Twilio says the recipient opted out of this sender (replied STOP earlier).
_OPTED_OUT_ERRORS = frozenset({"21610"})


class TwilioSender:
    # No idempotency key in Twilio's API: an attempt cut off mid-call is never repeated.
    idempotent = False

    def __init__(
        self,
        settings: TwilioSettings,
        public_base_url: str,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.settings = settings
        self._callback = f"{public_base_url}{STATUS_CALLBACK_PATH}"
        if settings.api_key_sid:
            auth = (settings.api_key_sid, settings.api_key_secret.get_secret_value())
        else:
            auth = (settings.account_sid, settings.auth_token.get_secret_value())
        self._client = client or provider_client(settings, auth=auth)
        self._url = f"{settings.base_url}/2010-04-01/Accounts/{settings.account_sid}/Messages.json"

    async def send(self, message: OutgoingMessage) -> str:
        s = self.settings
        form = {
            "To": message.address,
            "Body": sms_text(message),
            "StatusCallback": f"{self._callback}?{urlencode({'message_id': message.message_id})}",
        }
        if s.messaging_service_sid:
            form["MessagingServiceSid"] = s.messaging_service_sid
        else:
            form["From"] = s.from_number
        response = await call(self._client, "POST", self._url, data=form)
        if response.is_success:
            sid = _body(response).get("sid")
            if not sid:
                raise OutcomeUnknown("Twilio accepted the request but named no message SID")
            return str(sid)[:256]
        raise _refusal(response)


def _refusal(response: httpx.Response) -> Exception:
    code = _body(response).get("code")
    named = FINAL_CODES.get(code) if isinstance(code, int) else None
    return unkeyed_refusal(response, named or (f"twilio_{code}" if code else None))


def _body(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """The signature Twilio puts on a request to `url` with these POST parameters."""
    text = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def twilio_signature_valid(
    auth_token: str, url: str, params: list[tuple[str, str]], signature: str | None
) -> bool:
    """Whether `signature` is Twilio's for this request. Twilio signs the URL sometimes with
    the default port written out and sometimes without: both are accepted, as its own library
    does."""
    if not signature:
        return False
    return any(
        hmac.compare_digest(twilio_signature(auth_token, candidate, params), signature)
        for candidate in _with_and_without_port(url)
    )


def _with_and_without_port(url: str) -> set[str]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return {parts._replace(netloc=host).geturl(), parts._replace(netloc=f"{host}:{port}").geturl()}


def status_receipt(params: dict[str, str], message_id: str | None, now: datetime) -> Receipt | None:
    """The receipt a status callback is, or None for a step on the way (queued, sent...)."""
    sid, status = params.get("MessageSid", ""), params.get("MessageStatus", "")
    kind = _RECEIPTS.get(status)
    if not sid or kind is None:
        return None
    error = params.get("ErrorCode") or None
    if error in _OPTED_OUT_ERRORS:
        kind = ReceiptType.UNSUBSCRIBED
    return Receipt(
        receipt_id=f"{sid}:{status}",
        type=kind,
        message_id=message_id or None,
        provider_ref=sid,
        occurred_at=now,
        reason=f"twilio_{error}" if error else None,
    )
