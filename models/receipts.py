"""What providers tell us about a message after it left: the receipt format of the webhooks.

`POST /v1/webhooks/{provider}` takes one receipt or a JSON list of them, signed with the
provider's shared secret (channels/signing.py):
    {"receipt_id": "dlr-77", "type": "delivered", "message_id": "m_...",
     "occurred_at": "2026-11-24T10:00:00Z"}
`receipt_id` is unique per provider: a receipt sent again (providers retry webhooks) is a no-op.
The message is named by our `message_id` (sent to every provider as reference, client_msg_id or
X-Journeys-Message-Id) or, failing that, by the provider's own id (`provider_ref`), which the
ledger kept from the send.
"""

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from models.limits import Text64, Text200, Text256


class ReceiptType(StrEnum):
    DELIVERED = "delivered"
    OPENED = "opened"
    CLICKED = "clicked"
    BOUNCED = "bounced"  # accepted, then found undeliverable (hard bounce, dead number)
    COMPLAINED = "complained"  # marked as spam / reported
    UNSUBSCRIBED = "unsubscribed"  # list-unsubscribe at the mailbox provider, STOP reply


class Receipt(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    receipt_id: Text200 = Field(min_length=1)
    type: ReceiptType
    message_id: Text64 | None = None
    provider_ref: Text256 | None = None
    occurred_at: AwareDatetime
    reason: Text200 | None = Field(None, description="e.g. the bounce code")

    @model_validator(mode="after")
    def _names_a_message(self) -> "Receipt":
        if not self.message_id and not self.provider_ref:
            raise ValueError("a receipt needs message_id or provider_ref")
        return self
