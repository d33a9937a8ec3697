"""One evaluation of the thresholds over the sliding window ending `now`.

Alerts raised and cleared are written in one transaction with their webhook events
(`alert.raised`, `alert.cleared`, in the webhooks' outbox under its lock) and, for a complaint
breach with `pause_on_complaints`, the journey's kill switch: the journey holds its sends until
a person reviews and resumes it. The changes are returned for the operators' email.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from alerts.settings import AlertSettings
from alerts.thresholds import COMPLAINT_RATE, ClickThrough, Reading, Window, breaches, changes
from storage.alerts import (
    Alert,
    add_alert,
    attempt_counts,
    clear_alert,
    copy_counts,
    oldest_queued,
    open_alerts,
    pick_clicks,
    send_counts,
)
from storage.database import Executor
from storage.switches import Switch, pause_unless_paused, switch_id
from storage.webhooks import WebhookEvent, add_events, lock_events

AUTO_PAUSER = "alerts"


@dataclass(frozen=True)
class AlertChange:
    change: str  # raised | cleared
    alert: Alert


async def recommendation_click_through(
    executor: Executor, now: datetime, settings: AlertSettings
) -> ClickThrough:
    """The picks' counts the click-through alarm judges: the recent days' and the baseline's."""
    recent_since = now - timedelta(days=settings.recommendation_recent_days)
    baseline_since = recent_since - timedelta(days=settings.recommendation_baseline_days)
    return ClickThrough(
        recent=await pick_clicks(executor, recent_since, now),
        baseline=await pick_clicks(executor, baseline_since, recent_since),
    )


async def evaluate_alerts(
    sessions: async_sessionmaker[AsyncSession], now: datetime, settings: AlertSettings
) -> list[AlertChange]:
    since = now - timedelta(minutes=settings.window_minutes)
    async with sessions() as session:  # reads first: most evaluations change nothing
        oldest = await oldest_queued(session)
        window = Window(
            sends=await send_counts(session, since, now),
            attempts=await attempt_counts(session, since, now),
            copies=await copy_counts(session, since, now),
            recommended=await recommendation_click_through(session, now, settings),
            tag_lag_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        )
        found = breaches(window, settings)
        to_raise, to_clear = changes(found, await open_alerts(session))
    if not to_raise and not to_clear:
        return []
    done: list[AlertChange] = []
    async with sessions.begin() as session:
        await lock_events(session)  # serialises evaluations too: each change is made once
        to_raise, to_clear = changes(found, await open_alerts(session))
        for reading in to_raise:
            alert = _alert(reading, now)
            if reading.threshold == COMPLAINT_RATE and settings.pause_on_complaints:
                paused = await pause_unless_paused(
                    session,
                    Switch(
                        switch_id("journey", reading.scope["journey"]),
                        True,
                        f"complaint rate {reading.value:.2%} over {reading.limit:.2%}: review",
                        AUTO_PAUSER,
                        now,
                    ),
                )
                if paused:
                    alert = Alert(**{**alert.__dict__, "action": "paused_journey"})
            await add_alert(session, alert)
            done.append(AlertChange("raised", alert))
        for alert in to_clear:
            if await clear_alert(session, alert.alert_id, now):
                done.append(AlertChange("cleared", Alert(**{**alert.__dict__, "cleared_at": now})))
        await add_events(session, [_event(change, now) for change in done])
    return done


def _alert(reading: Reading, now: datetime) -> Alert:
    digest = hashlib.sha256(f"{reading.key}|{now.isoformat()}".encode()).hexdigest()[:24]
    return Alert(
        alert_id=f"al_{digest}",
        key=reading.key[:200],
        threshold=reading.threshold,
        scope=reading.scope,
        value=reading.value,
        limit=reading.limit,
        raised_at=now,
        cleared_at=None,
        action=None,
    )


def _event(change: AlertChange, now: datetime) -> WebhookEvent:
    alert, type = change.alert, f"alert.{change.change}"
    data = {
        "alert_id": alert.alert_id,
        "threshold": alert.threshold,
        "scope": alert.scope,
        "value": alert.value,
        "limit": alert.limit,
        "raised_at": alert.raised_at.isoformat(),
        "cleared_at": alert.cleared_at.isoformat() if alert.cleared_at else None,
        "action": alert.action,
    }
    # Named as webhooks/events.py names every event: type and source row.
    return WebhookEvent(f"{type}:{alert.alert_id}", type, None, now, data)


def operator_email(change: AlertChange) -> tuple[str, str]:
    """Subject and text of the operators' email: what crossed which limit, and what was done."""
    alert = change.alert
    scope = ", ".join(f"{k} {v}" for k, v in alert.scope.items()) or "all"
    subject = f"Alert {change.change}: {alert.threshold} ({scope})"
    lines = [
        f"{alert.threshold} for {scope}: {alert.value:.2%} against a limit of {alert.limit:.2%}",
        f"raised at {alert.raised_at.isoformat()}",
    ]
    if alert.cleared_at:
        lines.append(f"cleared at {alert.cleared_at.isoformat()}: the rate recovered")
    if alert.action == "paused_journey":
        lines.append(
            f"The journey {alert.scope.get('journey')} is paused: its sends are held until a "
            "person reviews and resumes it (PUT /v1/ops/switches/journey/<name> or "
            "journeyctl switches resume)."
        )
    return subject, "\n".join(lines)
