"""Guardrails: the pure send/defer/suppress decision, negative feedback, one-click unsubscribe
headers and SMS opt-out.

No I/O and no clock: the caller passes the customer, their contact history and `now`.
"""

from guardrails.decision_point import decide, history_window_start
from guardrails.decisions import ChannelRefusal, GuardrailDecision, Outcome, Reason, Rule
from guardrails.feedback import (
    FeedbackRules,
    FeedbackState,
    SilenceCause,
    feedback_state,
    silence_end,
)
from guardrails.inputs import (
    CONTACT_STATUSES,
    ContactRecord,
    CustomerSnapshot,
    Importance,
    JourneyKind,
    SendRequest,
    WinbackTier,
)
from guardrails.settings import GuardrailSettings
from guardrails.unsubscribe import (
    is_sms_opt_out_reply,
    list_unsubscribe_headers,
    sms_opt_out_line,
)

__all__ = [
    "CONTACT_STATUSES",
    "ChannelRefusal",
    "ContactRecord",
    "CustomerSnapshot",
    "FeedbackRules",
    "FeedbackState",
    "GuardrailDecision",
    "GuardrailSettings",
    "Importance",
    "JourneyKind",
    "Outcome",
    "Reason",
    "Rule",
    "SendRequest",
    "SilenceCause",
    "WinbackTier",
    "decide",
    "feedback_state",
    "history_window_start",
    "is_sms_opt_out_reply",
    "list_unsubscribe_headers",
    "silence_end",
    "sms_opt_out_line",
]
