"""The recommendations' monthly job as activities: outcomes and the drift check, then the
retraining (recommendations.retrain, reports.pick_outcomes)."""

from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from recommendations.outcomes import attribute_orders
from recommendations.retrain import retrain
from recommendations.settings import RecommendationSettings
from reports.pick_outcomes import recommendation_ctr_drift


class OutcomeCheck(BaseModel):
    now: datetime


class OutcomeSummary(BaseModel):
    orders_attributed: int
    click_through: float | None
    baseline_click_through: float | None
    alerted: bool


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
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._workdir = workdir

    @activity.defn
    async def check_recommendation_outcomes(self, request: OutcomeCheck) -> OutcomeSummary:
        s = self._settings
        recent, baseline = (
            timedelta(days=s.drift_recent_days),
            timedelta(days=s.drift_baseline_days),
        )
        async with self._sessions.begin() as session:
            found = await attribute_orders(session, request.now - recent - baseline, request.now)
            drift = await recommendation_ctr_drift(
                session, request.now, recent, baseline, s.drift_tolerance, s.drift_min_shown
            )
        return OutcomeSummary(
            orders_attributed=found,
            click_through=drift.recent.click_through,
            baseline_click_through=drift.baseline.click_through,
            alerted=drift.alerted,
        )

    @activity.defn
    async def retrain_recommendations(self, request: RetrainRequest) -> RetrainSummary:
        async def alive() -> None:
            activity.heartbeat()

        done = await retrain(
            self._sessions, self._settings, request.version, self._workdir, request.now, alive
        )
        return RetrainSummary(version=done.version, switched=done.switched, rows=done.rows)
