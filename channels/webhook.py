"""The generic provider: a signed JSON POST to any gateway, for any channel.

Request: `POST {base_url}` (the full URL) with `Idempotency-Key: <ledger key>`,
`X-Journeys-Signature: t=<unix>,v1=<hex HMAC-SHA256(api_key, "<t>." + body)>` (channels/signing.py)
and JSON
    {"message_id", "idempotency_key", "customer_id", "channel", "address", "locale",
     "title", "body", "cta", "url"}
The gateway checks the signature with the shared key and must treat a repeated idempotency key
as the same message. Success: any 2xx, optionally `{"id": "<gateway id>"}`. Refusals: 4xx with
`{"error": {"code": "..."}}` or `{"error": "..."}` (final: next channel); 429 with Retry-After and
5xx are retried. Receipts come back signed the same way on `POST /v1/webhooks/<channel>`.
"""

import json
import time

from channels.base import OutgoingMessage
from channels.http import IDEMPOTENCY_HEADER, HttpSender, reference, refusal
from channels.signing import SIGNATURE_HEADER, signature_header


class SignedWebhookSender(HttpSender):
    async def send(self, message: OutgoingMessage) -> str:
        body = json.dumps(
            {
                "message_id": message.message_id,
                "idempotency_key": message.idempotency_key,
                "customer_id": message.customer_id,
                "channel": message.channel.value,
                "address": message.address,
                "locale": message.locale,
                "title": message.title,
                "body": message.body,
                "cta": message.cta,
                "url": message.cta_url,
            },
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()
        secret = self.settings.api_key.get_secret_value()
        response = await self.request(
            "POST",
            self.settings.base_url,
            content=body,
            headers={
                "Content-Type": "application/json",
                IDEMPOTENCY_HEADER: message.idempotency_key,
                SIGNATURE_HEADER: signature_header(secret, body, int(time.time())),
            },
        )
        if response.is_success:
            return reference(response, "id", fallback=message.message_id)
        raise refusal(response)
