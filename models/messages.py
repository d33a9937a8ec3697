"""Message decisions: what the contact ledger records for every send a journey attempts."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from models.channels import Channel
from models.preferences import RuleSource


class MessageStatus(StrEnum):
    PENDING = "pending"  # decided and recorded, delivery not yet confirmed
    SENT = "sent"
    DEFERRED = "deferred"
    SUPPRESSED = "suppressed"
    FAILED = "failed"


class MessageContent(BaseModel):
    """The copy as decided; personal placeholders such as {{first_name}} are filled at delivery."""

    title: str
    body: str
    cta: str = ""
    disclaimers: list[str] = []


class MessageDecision(BaseModel):
    message_id: str
    idempotency_key: str
    customer_id: str
    journey: str
    workflow_id: str
    step: str
    trigger_event_id: str
    channel: Channel | None
    status: MessageStatus
    reason: str
    rule: str | None = None
    rule_source: RuleSource | None = Field(
        None,
        description="whose rule decided: the business's guardrails or the customer's own "
        "preferences (quiet hours, caps, channels turned off)",
    )
    blocked_by: str | None = Field(
        None,
        description="for a message suppressed as past_deliver_by: the reason of the rule that "
        "held it past its deadline (daily_cap, quiet_hours, ...)",
    )
    deferred_until: datetime | None = None
    segment: str | None = None
    experiment_id: str | None = None
    arm_id: str | None = None
    benefit_id: str | None = None  # the offer (or issued coupon) the message carries
    fallback_channels: list[Channel] = []
    created_at: datetime
    content: MessageContent | None = None
    content_path: str | None = Field(
        None, description="Who wrote the copy: llm, llm_retry (after one failed check) or template"
    )
    content_reasons: list[str] = Field(
        default_factory=list,
        description="Why the LLM's answers were not used, as reason codes (llm_timeout, "
        "wrong_language, price_mismatch, ...); empty for LLM copy on its first try",
    )
