"""App push through an HTTP push gateway (the app's own, or a relay in front of APNs/FCM).

Request: `POST {base_url}/v1/push` with `Authorization: Bearer <api_key>`,
`Idempotency-Key: <ledger key>` and JSON
    {"token": "<device token>", "title": "...", "body": "...",
     "data": {"message_id": "<message id>", "url": "<tracked link>"}}
Success: 200/201/202 `{"id": "<gateway id>"}`, the same id again for a repeated key.
Refusals: 404/410 `{"error": {"code": "unregistered"}}` for a token the app no longer has (final,
and the token is removed from the customer), other 4xx with an error code (final: next channel);
429 with Retry-After and 5xx are retried.
Opens are reported by the app through the gateway to `POST /v1/webhooks/push`.
"""

from channels.base import DeliveryError, OutgoingMessage
from channels.http import HttpSender, error_code, reference, refusal


class PushSender(HttpSender):
    async def send(self, message: OutgoingMessage) -> str:
        response = await self.request(
            "POST",
            self.url("/v1/push"),
            headers=self.headers(message),
            json={
                "token": message.address,
                "title": message.title,
                "body": message.body,
                "data": {"message_id": message.message_id, "url": message.cta_url},
            },
        )
        if response.is_success:
            return reference(response, "id", fallback=message.message_id)
        if response.status_code in (404, 410):
            reason = error_code(response) or "unregistered"
            raise DeliveryError(reason, final=True, dead_address=message.address)
        raise refusal(response)
