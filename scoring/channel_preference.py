"""Which channel a customer answers: a Beta-smoothed response rate per channel.

A send counts as answered when it was opened or clicked (a click implies an open; SMS reports
clicks only). Each channel's rate is the posterior mean under a Beta prior whose mean falls in
the product's priority order (in-app/push > WeChat > email > SMS) and whose weight is
`prior_strength` sends: with no history the order is the priority order, and a few real answers
are enough to move a channel up. Equal rates keep the priority order.

Consent, address and the journey step's allowed channels are filtered before this ranks what is
left; `sms_allowed` is the product's intent rule for SMS.
"""

from collections.abc import Iterable, Mapping

from pydantic import BaseModel, ConfigDict, Field

from models.channels import CHANNEL_PRIORITY, Channel
from scoring.segments import IntentSegment
from scoring.settings import ChannelPreferenceSettings


class ChannelResponse(BaseModel):
    """What one customer did with the messages one channel brought them."""

    model_config = ConfigDict(frozen=True)

    sent: int = Field(0, ge=0)
    opened: int = Field(0, ge=0)
    clicked: int = Field(0, ge=0)


def response_rate(
    channel: Channel, response: ChannelResponse, settings: ChannelPreferenceSettings
) -> float:
    """Posterior mean answer rate of `channel` for this customer."""
    answered = min(max(response.opened, response.clicked), response.sent)
    strength = settings.prior_strength
    prior_answered = settings.prior_response_rate[channel] * strength
    return (answered + prior_answered) / (response.sent + strength)


def rank_channels(
    candidates: Iterable[Channel],
    history: Mapping[Channel, ChannelResponse],
    settings: ChannelPreferenceSettings,
) -> list[Channel]:
    """`candidates` best first: by smoothed answer rate, then the product's priority."""
    return sorted(
        set(candidates),
        key=lambda channel: (
            -response_rate(channel, history.get(channel, ChannelResponse()), settings),
            CHANNEL_PRIORITY.index(channel),
        ),
    )


def sms_allowed(segment: IntentSegment, critical: bool) -> bool:
    """PRODUCT.md: SMS only for critical reminders and hot intent."""
    return critical or segment == IntentSegment.HOT
