"""Standard Webhooks signatures (https://www.standardwebhooks.com): `webhook-id`,
`webhook-timestamp` and `webhook-signature` (v1, HMAC-SHA256 over id.timestamp.body under the
endpoint's secret), made with the reference library so any receiver's verifier agrees."""

import base64
import secrets
from datetime import datetime

from standardwebhooks import Webhook


def new_secret() -> str:
    """An endpoint's secret as the convention writes it: `whsec_` and 32 random bytes, base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def signed_headers(secret: str, event_id: str, at: datetime, body: str) -> dict[str, str]:
    signature = Webhook(secret).sign(msg_id=event_id, timestamp=at, data=body)
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }
