"""SMS through an HTTP gateway.

Request: `POST {base_url}/v1/sms` with `Authorization: Bearer <api_key>`,
`Idempotency-Key: <ledger key>` and JSON
    {"to": "+8613800000000", "text": "...", "reference": "<message id>"}
The text is the copy on one line (content.sms_text) and carries an opt-out instruction: the
copy's own, else the line of the customer's locale (guardrails.sms_opt_out_line).
Success: 200/201/202 `{"id": "<gateway id>"}`; the gateway answers a repeated key with the first
send's id without sending again. Refusals: 4xx `{"error": {"code": "invalid_number" |
"blocked_number" | "opted_out" | ...}}` (final: next channel), 429 with Retry-After, 5xx (retried).
Delivery receipts come back on `POST /v1/webhooks/sms` (api/routes/webhooks.py); the replies
customers send to the number on `POST /v1/webhooks/sms/inbound` (api/routes/sms_callbacks.py),
signed the same way (`X-Journeys-Signature`), one `InboundSms` per request:
    {"id": "<gateway's id of the reply>", "from": "+8613800000000", "text": "TD"}
"""

import re

from pydantic import BaseModel, ConfigDict, Field

from channels.base import OutgoingMessage
from channels.http import HttpSender, reference, refusal
from content import Copy
from content import sms_text as copy_sms_text
from guardrails import sms_opt_out_line

# An opt-out instruction the copy already carries ("Reply TD to opt out", "回T退订"), in any of
# the keywords guardrails.is_sms_opt_out_reply honours: no second one is added.
_OPT_OUT = re.compile(
    r"(reply|text)\s+(stop|td|t|unsubscribe)\b.*(opt[\s-]?out|unsubscribe)|回复?\s*(T|TD|R)\s*退[订訂]",
    re.IGNORECASE,
)


def sms_text(message: OutgoingMessage) -> str:
    """The SMS as content checked it (every part on one line), ending with an opt-out line."""
    text = copy_sms_text(
        Copy(
            title=message.title,
            body=message.body,
            cta=message.cta,
            disclaimers=message.disclaimers,
        )
    )
    if _OPT_OUT.search(text):
        return text
    return f"{text} {sms_opt_out_line(message.locale)}"


class SmsSender(HttpSender):
    async def send(self, message: OutgoingMessage) -> str:
        response = await self.request(
            "POST",
            self.url("/v1/sms"),
            headers=self.headers(message),
            json={
                "to": message.address,
                "text": sms_text(message),
                "reference": message.message_id,
            },
        )
        if response.is_success:
            return reference(response, "id", fallback=message.message_id)
        raise refusal(response)


class InboundSms(BaseModel):
    """A reply a customer sent to the gateway's number, as the gateway posts it to us."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    id: str = Field(min_length=1, max_length=128, description="the gateway's id of the reply")
    sender: str = Field(
        alias="from",
        pattern=r"^\+[1-9][0-9]{6,14}$",
        description="the customer's number in E.164, e.g. +8613800000000",
    )
    text: str = Field(max_length=1600, description="what they wrote")
