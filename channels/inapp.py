"""The in-app inbox: messages the app shows when the customer next opens it.

Request: `POST {base_url}/v1/inbox/messages` with `Authorization: Bearer <api_key>`,
`Idempotency-Key: <ledger key>` and JSON
    {"customer_id": "...", "message_id": "...", "title": "...", "body": "...", "cta": "...",
     "url": "<tracked link>", "locale": "zh-CN"}
Success: 201 `{"id": "<inbox item id>"}`, or 200 with the same item for a repeated key.
Refusals: 404 `{"error": {"code": "unknown_user"}}` and other 4xx (final: next channel); 429 with
Retry-After and 5xx are retried. Reads and taps come back on `POST /v1/webhooks/inapp`.
"""

from channels.base import OutgoingMessage
from channels.http import HttpSender, reference, refusal


class InboxSender(HttpSender):
    async def send(self, message: OutgoingMessage) -> str:
        response = await self.request(
            "POST",
            self.url("/v1/inbox/messages"),
            headers=self.headers(message),
            json={
                "customer_id": message.customer_id,
                "message_id": message.message_id,
                "title": message.title,
                "body": message.body,
                "cta": message.cta,
                "url": message.cta_url,
                "locale": message.locale,
            },
        )
        if response.is_success:
            return reference(response, "id", fallback=message.message_id)
        raise refusal(response)
