"""The bandit's persisted state: each arm's Beta posterior and an experiment's promoted winner.

Written by the refresh (reports/bandit_state.py), read at decision time. Writes are upserts, so
two refreshes at once both succeed (the later one's counts stay); a winner is inserted only if
none is stored, so the first promotion stays whatever a later refresh sees.
"""

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Row, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from models.posteriors import BetaPosterior
from models.tables import ExperimentArmRow, ExperimentWinnerRow, table
from storage.database import Executor

ARMS = table(ExperimentArmRow)
WINNERS = table(ExperimentWinnerRow)


class ArmState(BaseModel):
    model_config = ConfigDict(frozen=True)

    experiment_id: str
    arm_id: str
    posterior: BetaPosterior
    pending: int
    probability_best: float | None
    refreshed_at: datetime


class Winner(BaseModel):
    model_config = ConfigDict(frozen=True)

    experiment_id: str
    arm_id: str
    probability_best: float
    promoted_at: datetime


async def arm_posteriors(executor: Executor, experiment_id: str) -> dict[str, BetaPosterior]:
    """The stored posterior of each arm refreshed so far; an arm never refreshed is absent (give
    it experiments.bandit.initial_posteriors' uniform prior)."""
    return {state.arm_id: state.posterior for state in await arm_states(executor, experiment_id)}


async def promoted_winner(executor: Executor, experiment_id: str) -> str | None:
    return await executor.scalar(
        select(WINNERS.c.arm_id).where(WINNERS.c.experiment_id == experiment_id)
    )


async def arm_states(executor: Executor, experiment_id: str) -> list[ArmState]:
    rows = await executor.execute(
        select(ARMS).where(ARMS.c.experiment_id == experiment_id).order_by(ARMS.c.arm_id)
    )
    return [_state(row) for row in rows]


async def winner(session: AsyncSession, experiment_id: str) -> Winner | None:
    row = await session.get(ExperimentWinnerRow, experiment_id)
    if row is None:
        return None
    return Winner(
        experiment_id=row.experiment_id,
        arm_id=row.arm_id,
        probability_best=row.probability_best,
        promoted_at=row.promoted_at,
    )


async def stored_experiment_ids(session: AsyncSession) -> list[str]:
    rows = await session.scalars(select(ExperimentArmRow.experiment_id).distinct())
    return sorted(rows)


async def save_arm_states(session: AsyncSession, states: list[ArmState]) -> None:
    for state in states:
        values = {
            "experiment_id": state.experiment_id,
            "arm_id": state.arm_id,
            "successes": state.posterior.successes,
            "failures": state.posterior.failures,
            "pending": state.pending,
            "prior_alpha": state.posterior.prior_alpha,
            "prior_beta": state.posterior.prior_beta,
            "probability_best": state.probability_best,
            "refreshed_at": state.refreshed_at,
        }
        insert = _insert(session, ExperimentArmRow).values(**values)
        keys = ("experiment_id", "arm_id")
        changed = {k: v for k, v in values.items() if k not in keys}
        await session.execute(insert.on_conflict_do_update(index_elements=keys, set_=changed))


async def record_winner(session: AsyncSession, promoted: Winner) -> Winner:
    """Store `promoted` unless a winner is stored already; returns the one that is stored."""
    insert = _insert(session, ExperimentWinnerRow).values(**promoted.model_dump())
    await session.execute(insert.on_conflict_do_nothing(index_elements=["experiment_id"]))
    stored = await winner(session, promoted.experiment_id)
    assert stored is not None
    return stored


def _insert(
    session: AsyncSession, table: type[ExperimentArmRow] | type[ExperimentWinnerRow]
) -> postgresql.Insert | sqlite.Insert:
    """The dialect's INSERT, which has ON CONFLICT on both PostgreSQL and SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _state(row: Row) -> ArmState:
    return ArmState(
        experiment_id=row.experiment_id,
        arm_id=row.arm_id,
        posterior=BetaPosterior(
            successes=row.successes,
            failures=row.failures,
            prior_alpha=row.prior_alpha,
            prior_beta=row.prior_beta,
        ),
        pending=row.pending,
        probability_best=row.probability_best,
        refreshed_at=row.refreshed_at,
    )
