"""Refresh the bandit's persisted posteriors from the ledger's outcomes, and promote a winner.

A refresh recounts every send of the experiment rather than applying increments: it is
idempotent, needs no bookkeeping of what was already counted, and a send whose outcome arrives
late (a click three days on) is simply counted when it is there. A send is a trial of its arm
once its outcome is known: a success as soon as the click or paid order is seen within the
metric's window, a failure once the window has closed without one; until then it is pending
and does not move the posterior (counting it as a failure would punish the newest arm).
"""

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from experiments.bandit import BetaPosterior, promote_winner
from experiments.definitions import Experiment, Outcome
from reports.records import LedgerEntry, OrderBook, ledger_entries, orders_of
from storage.experiment_arms import ArmState, Winner, record_winner, save_arm_states, winner


@dataclass
class ArmOutcomes:
    successes: int = 0
    failures: int = 0
    pending: int = 0


class RefreshResult(BaseModel):
    experiment_id: str
    arms: list[ArmState]
    winner: Winner | None
    promoted_now: bool


def count_outcomes(
    experiment: Experiment, entries: Iterable[LedgerEntry], orders: OrderBook, now: datetime
) -> dict[str, ArmOutcomes]:
    """Successes, failures and pending sends per arm; sends of unknown arms are ignored (an arm
    removed from the definition), as are held-out and unsent decisions."""
    outcomes = {arm.id: ArmOutcomes() for arm in experiment.arms}
    window = experiment.metric.window
    for entry in entries:
        counts = outcomes.get(entry.arm_id or "")
        if counts is None or not entry.sent:
            continue
        if experiment.metric.outcome is Outcome.CLICK:
            success = entry.clicked_at is not None and experiment.metric.is_reward(
                Outcome.CLICK, entry.clicked_at - entry.created_at
            )
        else:
            success = orders.first_within(entry.customer_id, entry.created_at, window) is not None
        if success:
            counts.successes += 1
        elif now >= entry.created_at + window:
            counts.failures += 1
        else:
            counts.pending += 1
    return outcomes


async def refresh_experiment(
    sessions: async_sessionmaker[AsyncSession],
    experiment: Experiment,
    now: datetime,
    draws: int,
) -> RefreshResult:
    """Recount the experiment's outcomes, store each arm's posterior and P(best), and promote
    the leader once it passes the experiment's threshold with enough trials on every arm."""
    async with sessions.begin() as session:
        entries = await ledger_entries(session, experiment_id=experiment.id)
        orders = await _orders(session, experiment, entries)
        outcomes = count_outcomes(experiment, entries, orders, now)
        posteriors = {
            arm_id: BetaPosterior(successes=o.successes, failures=o.failures)
            for arm_id, o in outcomes.items()
        }
        # Seeded by the counts: the same evidence gives the same P(best) on every refresh.
        rng = random.Random(f"{experiment.id}:{sorted(outcomes.items())}")
        leader = None
        if len(posteriors) >= 2:
            promotion = promote_winner(
                posteriors,
                experiment.promotion_threshold,
                rng,
                draws=draws,
                min_trials=experiment.promotion_min_trials,
            )
            probability_best, leader = promotion.probability_best, promotion.winner
        else:  # a single arm (a holdout-only experiment) is best by definition
            probability_best = dict.fromkeys(posteriors, 1.0)
        states = [
            ArmState(
                experiment_id=experiment.id,
                arm_id=arm_id,
                posterior=posterior,
                pending=outcomes[arm_id].pending,
                probability_best=probability_best[arm_id],
                refreshed_at=now,
            )
            for arm_id, posterior in posteriors.items()
        ]
        await save_arm_states(session, states)
        stored = await winner(session, experiment.id)
        promoted_now = False
        if stored is None and leader is not None:
            candidate = Winner(
                experiment_id=experiment.id,
                arm_id=leader,
                probability_best=probability_best[leader],
                promoted_at=now,
            )
            stored = await record_winner(session, candidate)
            promoted_now = stored == candidate
    return RefreshResult(
        experiment_id=experiment.id, arms=states, winner=stored, promoted_now=promoted_now
    )


async def refresh_all(
    sessions: async_sessionmaker[AsyncSession],
    experiments: Iterable[Experiment],
    now: datetime,
    draws: int,
    progress: Callable[[RefreshResult], None] | None = None,
) -> list[RefreshResult]:
    results = []
    for experiment in experiments:
        result = await refresh_experiment(sessions, experiment, now, draws)
        if progress is not None:
            progress(result)
        results.append(result)
    return results


async def _orders(
    session: AsyncSession, experiment: Experiment, entries: list[LedgerEntry]
) -> OrderBook:
    if experiment.metric.outcome is not Outcome.CONVERSION or not entries:
        return OrderBook([])
    first = min(entry.created_at for entry in entries)
    last = max(entry.created_at for entry in entries)
    return await orders_of(
        session, (e.customer_id for e in entries), first, last + experiment.metric.window
    )
