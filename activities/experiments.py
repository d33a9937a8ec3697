"""Recounting every experiment's bandit posteriors from the ledger, and promoting winners."""

from datetime import datetime

import structlog
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from reports.bandit_state import refresh_all
from reports.registry import registered_experiments

log = structlog.get_logger()


class RefreshRequest(BaseModel):
    now: datetime


class RefreshSummary(BaseModel):
    experiments: list[str]
    promoted: list[str]


class ExperimentActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], draws: int) -> None:
        self._sessions = sessions
        self._draws = draws

    @activity.defn
    async def refresh_experiments(self, request: RefreshRequest) -> RefreshSummary:
        experiments = list(registered_experiments().values())
        results = await refresh_all(self._sessions, experiments, request.now, self._draws)
        promoted = [r.experiment_id for r in results if r.promoted_now]
        log.info("experiments refreshed", experiments=len(results), promoted=promoted)
        return RefreshSummary(experiments=[r.experiment_id for r in results], promoted=promoted)
