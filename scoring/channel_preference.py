"""Which channel a customer answers: a Beta-smoothed response rate per channel.

A send counts as answered when it was opened or clicked (a click implies an open; SMS reports
clicks only). Each channel's rate is the posterior mean under a Beta prior whose mean falls in
the product's priority order (in-app/push > WeChat > email > SMS) and whose weight is
`prior_strength` sends.

The order a journey step lists its channels in is its author's intent, so it is the starting
order, not the global priority. A later channel moves ahead of an earlier one only on evidence:
both were sent to this customer at least `min_sends_to_reorder` times, and the later one's rate
beats the earlier one's by more than `min_rate_lead` (docs/journeys.md, "Channel order").

Consent, address and the journey step's allowed channels are filtered before this ranks what is
left; `sms_allowed` is the product's intent rule for SMS.
"""

from collections.abc import Iterable, Mapping

from pydantic import BaseModel, ConfigDict, Field

from models.channels import Channel
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
    """`candidates` (in the step's order) best first: the step's order, with a channel moved
    ahead of its neighbour only when the customer's answers show it is clearly better."""
    ranked = list(dict.fromkeys(candidates))
    swapped = True
    # Adjacent swaps of a pair the evidence reverses: each removes one such reversal and adds
    # none, so this ends; a channel without enough sends is never passed nor passes another.
    while swapped:
        swapped = False
        for i in range(len(ranked) - 1):
            if _clearly_better(ranked[i + 1], ranked[i], history, settings):
                ranked[i], ranked[i + 1] = ranked[i + 1], ranked[i]
                swapped = True
    return ranked


def _clearly_better(
    later: Channel,
    earlier: Channel,
    history: Mapping[Channel, ChannelResponse],
    settings: ChannelPreferenceSettings,
) -> bool:
    seen_later = history.get(later, ChannelResponse())
    seen_earlier = history.get(earlier, ChannelResponse())
    if min(seen_later.sent, seen_earlier.sent) < settings.min_sends_to_reorder:
        return False
    lead = response_rate(later, seen_later, settings) - response_rate(
        earlier, seen_earlier, settings
    )
    return lead > settings.min_rate_lead


def sms_allowed(segment: IntentSegment, critical: bool) -> bool:
    """PRODUCT.md: SMS only for critical reminders and hot intent."""
    return critical or segment == IntentSegment.HOT
