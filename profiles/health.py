"""The health score: 0-100, the sum of seven parts, each a 0-1 value times its weight.

The weights and thresholds are the business's (models.profiles.ProfileConfig, changed through
`PUT /v1/profile/config`); every part is returned with the figures it came from, so an operator
sees why a customer scores what they score. A part with nothing to go on (no support ticket, no
message sent) counts as neutral (0.5) rather than as good or bad.
"""

from models.profiles import HealthPart, HealthScore, HealthThresholds, ProfileConfig
from profiles.features import Features

NEUTRAL = 0.5


def health_score(figures: Features, config: ProfileConfig) -> HealthScore:
    t = config.health_thresholds
    values = {
        "recency": _recency(figures, t),
        "frequency": (
            min(1.0, figures.active_days_30d / t.frequency_full_days),
            {"active_days_30d": figures.active_days_30d},
        ),
        "purchases": (
            min(1.0, figures.orders_90d / t.purchases_full),
            {"orders_90d": figures.orders_90d},
        ),
        "support_resolution": _resolution(figures, t),
        "support_sentiment": (
            1 - figures.negative_tickets_180d / figures.tickets_180d
            if figures.tickets_180d
            else NEUTRAL,
            {
                "tickets_180d": figures.tickets_180d,
                "negative_tickets_180d": figures.negative_tickets_180d,
            },
        ),
        "positive_feedback": (
            min(1.0, figures.engaged_90d / figures.messages_90d / t.engagement_full_rate)
            if figures.messages_90d
            else NEUTRAL,
            {"messages_90d": figures.messages_90d, "opened_or_clicked_90d": figures.engaged_90d},
        ),
        "negative_feedback": (
            max(
                0.0,
                1 - (figures.unsubscribes_180d + figures.complaints_180d) / t.negative_zero_count,
            ),
            {
                "unsubscribes_180d": figures.unsubscribes_180d,
                "complaints_180d": figures.complaints_180d,
            },
        ),
    }
    weights = config.health_weights.model_dump()
    parts = [
        HealthPart(
            name=name,
            value=round(value, 4),
            weight=weights[name],
            points=round(value * weights[name], 2),
            inputs=inputs,
        )
        for name, (value, inputs) in values.items()
    ]
    score = round(min(100.0, sum(part.value * part.weight for part in parts)), 1)
    return HealthScore(score=score, parts=parts)


def _recency(figures: Features, t: HealthThresholds) -> tuple[float, dict[str, object]]:
    days = figures.days_since_last_activity
    value = 0.0 if days is None else max(0.0, 1 - days / t.recency_zero_days)
    return value, {"days_since_last_activity": days}


def _resolution(figures: Features, t: HealthThresholds) -> tuple[float, dict[str, object]]:
    hours = figures.mean_resolution_hours_180d
    inputs: dict[str, object] = {
        "mean_resolution_hours_180d": None if hours is None else round(hours, 1)
    }
    if hours is None:
        return NEUTRAL, inputs
    if hours <= t.resolution_full_hours:
        return 1.0, inputs
    span = t.resolution_zero_hours - t.resolution_full_hours
    return max(0.0, 1 - (hours - t.resolution_full_hours) / span), inputs
