"""Negative feedback read from the contact history: unopened streaks, complaints, silence.

- A contact counts as unopened once `unopened_after_hours` have passed with neither an open nor a
  click; until then it is undecided and skipped. An open or click anywhere ends the streak.
- Every `unopened_streak_for_silence` consecutive unopened contacts start a silence of
  `silence_days` from the moment the last of them became unopened; the count then restarts, so a
  customer who keeps ignoring the low-interruption channel gets a new silence, not an endless one.
- Every complaint starts a silence from the moment it arrived; `complaints_for_blacklist`
  complaints blacklist the customer for good (the caller persists the flag on the customer, so it
  outlives the history window it loads).

`FeedbackRules` decides what an unsubscribe or a complaint does to the state stored on the
customer (storage.consent writes it, under the customer's lock, without a rule of its own).
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict

from guardrails.inputs import ContactRecord
from guardrails.localtime import require_aware
from guardrails.settings import GuardrailSettings


class SilenceCause(StrEnum):
    UNOPENED = "unopened"
    COMPLAINT = "complaint"


class FeedbackState(BaseModel):
    model_config = ConfigDict(frozen=True)

    consecutive_unopened: int  # the unopened contacts since the last open or click
    complaints: int
    silence_until: AwareDatetime | None  # None unless a silence is still running at `now`
    silence_cause: SilenceCause | None
    blacklisted: bool


def silence_end(started_at: datetime, rules: GuardrailSettings) -> datetime:
    """When a silence that starts at `started_at` ends; also for silences the caller stores, such
    as the one an unsubscribe starts."""
    return started_at + timedelta(days=rules.silence_days)


class FeedbackRules:
    """The customer's stored feedback state after an unsubscribe or a complaint."""

    def __init__(self, rules: GuardrailSettings) -> None:
        self._rules = rules

    def silence_after(self, silence_until: datetime | None, at: datetime) -> datetime:
        """An unsubscribe or a complaint at `at` silences interruptive channels for
        `silence_days`; a silence that runs longer already is kept."""
        fresh = silence_end(at, self._rules)
        return fresh if silence_until is None else max(silence_until, fresh)

    def blacklists(self, complaints: int) -> bool:
        """Whether the customer's complaints so far blacklist them for good."""
        return complaints >= self._rules.complaints_for_blacklist


def feedback_state(
    history: Sequence[ContactRecord], now: datetime, rules: GuardrailSettings
) -> FeedbackState:
    require_aware(now)
    settle = timedelta(hours=rules.unopened_after_hours)
    silences: list[tuple[datetime, SilenceCause]] = []

    trailing_unopened = 0
    towards_silence = 0
    contacts = sorted((r for r in history if r.is_contact), key=lambda r: r.at)
    for record in contacts:
        if record.engaged:
            trailing_unopened = towards_silence = 0
            continue
        if record.channel in rules.open_untracked_channels or record.at + settle > now:
            continue
        trailing_unopened += 1
        towards_silence += 1
        if towards_silence == rules.unopened_streak_for_silence:
            silences.append((silence_end(record.at + settle, rules), SilenceCause.UNOPENED))
            towards_silence = 0

    complaint_times = [r.complained_at for r in history if r.complained_at is not None]
    silences += [(silence_end(at, rules), SilenceCause.COMPLAINT) for at in complaint_times]

    running = [s for s in silences if s[0] > now]
    until, cause = max(running, key=lambda s: s[0]) if running else (None, None)
    return FeedbackState(
        consecutive_unopened=trailing_unopened,
        complaints=len(complaint_times),
        silence_until=until,
        silence_cause=cause,
        blacklisted=len(complaint_times) >= rules.complaints_for_blacklist,
    )
