"""How the recommendations did: click-through and order rate of the picks the messages carried,
per kind and explored or not, from `recommended_items` (clicks on each pick's tracked link,
orders attributed by recommendations.outcomes), and the drift check that alerts when the
click-through of recent picks falls below the report's baseline.
"""

from datetime import datetime, timedelta

import structlog
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from reports.period import Period
from storage import recommendations as store
from telemetry import metrics

log = structlog.get_logger()

DRIFT_ALERT = "recommendation_ctr_drift"


class PickOutcomes(BaseModel):
    kind: str  # a pick kind, or "all"
    explored: bool | None  # None: explored and exploited together
    shown: int = 0
    clicked: int = 0
    ordered: int = 0

    @property
    def click_through(self) -> float | None:
        return self.clicked / self.shown if self.shown else None

    @property
    def order_rate(self) -> float | None:
        return self.ordered / self.shown if self.shown else None


async def pick_outcomes(session: AsyncSession, period: Period) -> list[PickOutcomes]:
    """The picks recommended in the period, per (kind, explored), then all of them together."""
    rows = await store.pick_outcome_rows(session, period.since, period.until)
    groups: dict[tuple[str, bool | None], PickOutcomes] = {}
    total = PickOutcomes(kind="all", explored=None)
    for row in rows:
        key = (row.kind, bool(row.explored))
        group = groups.setdefault(key, PickOutcomes(kind=row.kind, explored=bool(row.explored)))
        for counted in (group, total):
            counted.shown += 1
            counted.clicked += row.clicked_at is not None
            counted.ordered += row.ordered_at is not None
    return [groups[key] for key in sorted(groups, key=lambda k: (k[0], bool(k[1])))] + [total]


class DriftCheck(BaseModel):
    recent: PickOutcomes
    baseline: PickOutcomes
    alerted: bool


async def recommendation_ctr_drift(
    session: AsyncSession,
    now: datetime,
    recent: timedelta = timedelta(days=30),
    baseline: timedelta = timedelta(days=90),
    tolerance: float = 0.8,
    min_shown: int = 50,
) -> DriftCheck:
    """Compare the click-through of the picks of the last `recent` days with the report's
    baseline, the `baseline` days before them; below `tolerance` times the baseline (with at
    least `min_shown` picks on each side), alert: a log line, the metric and an alert row.
    The caller commits."""
    recent_period = Period(since=now - recent, until=now)
    base_period = Period(since=now - recent - baseline, until=now - recent)
    latest = (await pick_outcomes(session, recent_period))[-1]
    before = (await pick_outcomes(session, base_period))[-1]
    drifted = (
        latest.shown >= min_shown
        and before.shown >= min_shown
        and latest.click_through is not None
        and before.click_through is not None
        and latest.click_through < tolerance * before.click_through
    )
    if drifted:
        detail = {
            "click_through": round(latest.click_through or 0.0, 4),
            "baseline_click_through": round(before.click_through or 0.0, 4),
            "shown": latest.shown,
            "baseline_shown": before.shown,
            "since": recent_period.since.isoformat(),
            "baseline_since": base_period.since.isoformat(),
        }
        log.warning("recommendation click-through below its baseline", alert=DRIFT_ALERT, **detail)
        metrics.recommendation_alerts.labels(DRIFT_ALERT).inc()
        await store.add_alert(session, DRIFT_ALERT, now, detail)
    return DriftCheck(recent=latest, baseline=before, alerted=drifted)
