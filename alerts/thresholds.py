"""The thresholds, judged on a window's counts: which rates breach, which alerts recovered.

A rate is judged only on `min_volume` sends (or attempts, or copies) in the window: two
complaints on three sends are noise, not a spike. Recommendation click-through breaches when it
falls *below* its baseline; the tag-sync lag is the age of the profile queue's oldest entry.
An open alert whose rate is back within its limit, or no longer measurable, is cleared.
"""

from dataclasses import dataclass
from typing import Any

from alerts.settings import AlertSettings
from storage.alerts import Alert, AttemptCounts, CopyCounts, SendCounts

COMPLAINT_RATE = "complaint_rate"


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
class Window:
    """What the thresholds are judged on: the window's counts, and the profile queue's age."""

    sends: list[SendCounts]
    attempts: list[AttemptCounts]
    copies: CopyCounts
    recommended: tuple[int, int]  # messages carrying recommendations, of which clicked
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
                found.append(
                    Reading("delivery_failure_rate", {"channel": tried.channel}, rate, limit)
                )
    limit = settings.llm_fallback_rate
    if limit is not None and copies.written >= settings.min_volume:
        rate = copies.fallbacks / copies.written
        if rate > limit:
            found.append(Reading("llm_fallback_rate", {}, rate, limit))
    baseline = settings.recommendation_ctr_baseline
    carried, clicked = window.recommended
    if baseline is not None and carried >= settings.min_volume and clicked / carried < baseline:
        found.append(Reading("recommendation_ctr_below", {}, clicked / carried, baseline))
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
