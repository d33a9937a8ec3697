"""The recommendations' monthly job as activities: outcomes and the click-through alarm's
reading, then the retraining (recommendations.retrain). The alarm itself is raised and cleared
by the Alerts workflow (alerts.thresholds.recommendation_ctr_drift, docs/alerts.md); the job
reports the same rule's reading."""

from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from alerts.evaluate import recommendation_click_through
from alerts.settings import AlertSettings
from alerts.thresholds import ClickThrough, recommendation_ctr_drift
from recommendations.outcomes import attribute_orders
from recommendations.retrain import retrain
from recommendations.settings import RecommendationSettings


class OutcomeCheck(BaseModel):
    now: datetime


class OutcomeSummary(BaseModel):
    orders_attributed: int
    click_through: float | None
    baseline_click_through: float | None
    alerted: bool  # the click-through alarm's rule holds (the Alerts workflow raises it)


class RetrainRequest(BaseModel):
    version: str
    now: datetime


class RetrainSummary(BaseModel):
    version: str
    switched: bool
    rows: int


class MonthlyRun(BaseModel):
    outcomes: OutcomeSummary
    trained: RetrainSummary


class RecommendationActivities:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: RecommendationSettings,
        workdir: Path,
        alerts: AlertSettings,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._workdir = workdir
        self._alerts = alerts

    @activity.defn
    async def check_recommendation_outcomes(self, request: OutcomeCheck) -> OutcomeSummary:
        a = self._alerts
        days = timedelta(days=a.recommendation_recent_days + a.recommendation_baseline_days)
        async with self._sessions.begin() as session:
            found = await attribute_orders(session, request.now - days, request.now)
        async with self._sessions() as session:
            picks = await recommendation_click_through(session, request.now, a)
        return OutcomeSummary(
            orders_attributed=found,
            click_through=ClickThrough.rate(picks.recent),
            baseline_click_through=ClickThrough.rate(picks.baseline),
            alerted=recommendation_ctr_drift(picks, a) is not None,
        )

    @activity.defn
    async def retrain_recommendations(self, request: RetrainRequest) -> RetrainSummary:
        async def alive() -> None:
            activity.heartbeat()

        done = await retrain(
            self._sessions, self._settings, request.version, self._workdir, request.now, alive
        )
        return RetrainSummary(version=done.version, switched=done.switched, rows=done.rows)
