"""The thresholds, judged on a window's counts: which rates breach, which alerts recovered.

A rate is judged only on `min_volume` sends (or attempts, or copies) in the window: two
complaints on three sends are noise, not a spike. The recommendations' click-through alarm is
the one rule `recommendation_ctr_drift` (the monthly retraining reports it too); the tag-sync
lag is the age of the profile queue's oldest entry.
An open alert whose rate is back within its limit, or no longer measurable, is cleared.
"""

from dataclasses import dataclass
from typing import Any

from alerts.settings import AlertSettings
from storage.alerts import Alert, AttemptCounts, CopyCounts, SendCounts

COMPLAINT_RATE = "complaint_rate"
RECOMMENDATION_CTR = "recommendation_ctr_drift"


@dataclass(frozen=True)
class Reading:
    threshold: str
    scope: dict[str, Any]
    value: float
    limit: float

    @property
    def key(self) -> str:
        return f"{self.threshold}:" + "/".join(f"{k}={v}" for k, v in self.scope.items())


@dataclass(frozen=True)
class ClickThrough:
    """Recommended picks (shown, of which clicked): the recent days' and the baseline's, the
    days before them."""

    recent: tuple[int, int]
    baseline: tuple[int, int]

    @staticmethod
    def rate(counts: tuple[int, int]) -> float | None:
        return counts[1] / counts[0] if counts[0] else None


def recommendation_ctr_drift(picks: ClickThrough, settings: AlertSettings) -> Reading | None:
    """The recommendations' click-through alarm: the recent picks' click-through below
    `recommendation_ctr_tolerance` times the baseline's, with `min_volume` picks on each side
    (a baseline the recommender earned, not a number set by hand)."""
    tolerance = settings.recommendation_ctr_tolerance
    recent, baseline = ClickThrough.rate(picks.recent), ClickThrough.rate(picks.baseline)
    if (
        tolerance is None
        or recent is None
        or baseline is None
        or min(picks.recent[0], picks.baseline[0]) < settings.min_volume
    ):
        return None
    limit = tolerance * baseline
    return Reading(RECOMMENDATION_CTR, {}, recent, limit) if recent < limit else None


@dataclass(frozen=True)
class Window:
    """What the thresholds are judged on: the window's counts, and the profile queue's age."""

    sends: list[SendCounts]
    attempts: list[AttemptCounts]
    copies: CopyCounts
    recommended: ClickThrough
    tag_lag_seconds: float  # how long the oldest customer in the profile queue has waited


def breaches(window: Window, settings: AlertSettings) -> list[Reading]:
    sends, attempts, copies = window.sends, window.attempts, window.copies
    found = []
    for counts in sends:
        if counts.sent < settings.min_volume:
            continue
        scope = {"journey": counts.journey, "channel": counts.channel}
        for threshold, limit, count in (
            (COMPLAINT_RATE, settings.complaint_rate, counts.complaints),
            ("unsubscribe_rate", settings.unsubscribe_rate, counts.unsubscribes),
        ):
            if limit is not None and count / counts.sent > limit:
                found.append(Reading(threshold, scope, count / counts.sent, limit))
    limit = settings.delivery_failure_rate
    for tried in attempts:
        if limit is not None and tried.attempts >= settings.min_volume:
            rate = tried.failed / tried.attempts
            if rate > limit:
                scope = {"channel": tried.channel, "provider": tried.provider}
                found.append(Reading("delivery_failure_rate", scope, rate, limit))
    limit = settings.llm_fallback_rate
    if limit is not None and copies.written >= settings.min_volume:
        rate = copies.fallbacks / copies.written
        if rate > limit:
            found.append(Reading("llm_fallback_rate", {}, rate, limit))
    drift = recommendation_ctr_drift(window.recommended, settings)
    if drift is not None:
        found.append(drift)
    limit = settings.tag_sync_lag_seconds
    if limit is not None and window.tag_lag_seconds > limit:
        found.append(Reading("tag_sync_lag_seconds", {}, window.tag_lag_seconds, limit))
    return found


def changes(found: list[Reading], open_alerts: list[Alert]) -> tuple[list[Reading], list[Alert]]:
    """(breaches with no open alert: to raise, open alerts with no breach: to clear)"""
    open_keys = {alert.key for alert in open_alerts}
    breaching = {reading.key for reading in found}
    to_raise = [reading for reading in found if reading.key not in open_keys]
    to_clear = [alert for alert in open_alerts if alert.key not in breaching]
    return to_raise, to_clear
