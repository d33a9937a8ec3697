"""Each experiment's arms and its holdout lift over a period.

The unit is the customer: a customer counts in the holdout from their first held-out would-be
send in the period, in the treated group from their first send decided for them (delivered or
not: intention to treat, as the holdout's would-be sends passed the same guardrails), and in an
arm from their first send of that arm (a bandit draws per send, so one customer may be in two
arms). They converted when they paid an order within the conversion window after that send.
Lift = treated conversion - holdout conversion, with the Newcombe interval of experiments.lift.

Beside that period view, each arm shows the bandit's stored posterior (all time, as the decision
path reads it) with its mean and probability of being best, and the promoted winner if any.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from experiments.assignment import HOLDOUT_ARM
from experiments.definitions import Experiment
from experiments.lift import Lift, lift
from reports.period import Period
from reports.records import LedgerEntry, OrderBook, ledger_entries, orders_of
from reports.windows import conversion_window, describe
from storage.experiment_arms import ArmState, Winner, arm_states, stored_experiment_ids, winner


class GroupConversion(BaseModel):
    customers: int
    converted: int
    rate: float | None


class ArmResult(BaseModel):
    arm_id: str
    conversion: GroupConversion
    lift: Lift | None
    # The stored bandit state (None until a refresh has counted this arm).
    successes: int | None = None
    failures: int | None = None
    pending: int | None = None
    posterior_mean: float | None = None
    probability_best: float | None = None


class ExperimentResult(BaseModel):
    experiment_id: str
    defined: bool  # False: seen on the ledger or in the stored state, but in no journey
    journey: str | None
    step: str | None
    allocation: str | None
    metric: str | None
    conversion_window: timedelta
    holdout_share: float | None
    treated: GroupConversion
    holdout: GroupConversion
    lift: Lift | None
    lift_unavailable: str | None
    arms: list[ArmResult]
    winner: Winner | None
    refreshed_at: datetime | None


class ExperimentReport(BaseModel):
    since: datetime
    until: datetime
    experiments: list[ExperimentResult]


@dataclass
class _Group:
    first: dict[str, datetime] = field(default_factory=dict)

    def add(self, entry: LedgerEntry) -> None:
        self.first.setdefault(entry.customer_id, entry.created_at)

    def conversion(self, orders: OrderBook, window: timedelta) -> GroupConversion:
        converted = sum(
            orders.first_within(customer, at, window) is not None
            for customer, at in self.first.items()
        )
        customers = len(self.first)
        return GroupConversion(
            customers=customers,
            converted=converted,
            rate=converted / customers if customers else None,
        )


async def experiment_report(
    session: AsyncSession,
    period: Period,
    experiments: Mapping[str, Experiment],
    default_window: timedelta,
) -> ExperimentReport:
    entries = [e for e in await ledger_entries(session, period) if e.experiment_id is not None]
    ids = sorted(
        set(experiments)
        | set(await stored_experiment_ids(session))
        | {e.experiment_id for e in entries if e.experiment_id}
    )
    results = []
    for experiment_id in ids:
        mine = [e for e in entries if e.experiment_id == experiment_id]
        window = conversion_window(experiment_id, experiments, default_window)
        orders = await orders_of(
            session, (e.customer_id for e in mine), period.since, period.until + window
        )
        results.append(
            await _result(
                session, experiment_id, experiments.get(experiment_id), mine, orders, window
            )
        )
    return ExperimentReport(since=period.since, until=period.until, experiments=results)


async def _result(
    session: AsyncSession,
    experiment_id: str,
    experiment: Experiment | None,
    entries: list[LedgerEntry],
    orders: OrderBook,
    window: timedelta,
) -> ExperimentResult:
    treated, held_out = _Group(), _Group()
    by_arm: dict[str, _Group] = {}
    for entry in entries:
        if entry.held_out:
            held_out.add(entry)
        elif entry.treated:
            treated.add(entry)
            if entry.arm_id:
                by_arm.setdefault(entry.arm_id, _Group()).add(entry)
    treated_conversion = treated.conversion(orders, window)
    holdout_conversion = held_out.conversion(orders, window)
    states = {state.arm_id: state for state in await arm_states(session, experiment_id)}
    arm_ids = [arm.id for arm in experiment.arms] if experiment else []
    arm_ids += sorted((set(by_arm) | set(states)) - set(arm_ids) - {HOLDOUT_ARM})
    arms = []
    for arm_id in arm_ids:
        conversion = by_arm.get(arm_id, _Group()).conversion(orders, window)
        arms.append(
            _arm(arm_id, conversion, _lift(conversion, holdout_conversion), states.get(arm_id))
        )
    return ExperimentResult(
        experiment_id=experiment_id,
        defined=experiment is not None,
        journey=experiment.journey if experiment else None,
        step=experiment.step if experiment else None,
        allocation=experiment.allocation.value if experiment else None,
        metric=_metric(experiment),
        conversion_window=window,
        holdout_share=experiment.holdout_share if experiment else None,
        treated=treated_conversion,
        holdout=holdout_conversion,
        lift=_lift(treated_conversion, holdout_conversion),
        lift_unavailable=_why_no_lift(treated_conversion, holdout_conversion),
        arms=arms,
        winner=await winner(session, experiment_id),
        refreshed_at=max((s.refreshed_at for s in states.values()), default=None),
    )


def _arm(
    arm_id: str, conversion: GroupConversion, measured: Lift | None, state: ArmState | None
) -> ArmResult:
    result = ArmResult(arm_id=arm_id, conversion=conversion, lift=measured)
    if state is None:
        return result
    return result.model_copy(
        update={
            "successes": state.posterior.successes,
            "failures": state.posterior.failures,
            "pending": state.pending,
            "posterior_mean": state.posterior.mean,
            "probability_best": state.probability_best,
        }
    )


def _lift(treated: GroupConversion, holdout: GroupConversion) -> Lift | None:
    if treated.customers == 0 or holdout.customers == 0:
        return None
    return lift(treated.converted, treated.customers, holdout.converted, holdout.customers)


def _why_no_lift(treated: GroupConversion, holdout: GroupConversion) -> str | None:
    if holdout.customers == 0:
        return "no held-out customer in the period"
    if treated.customers == 0:
        return "no treated customer in the period"
    return None


def _metric(experiment: Experiment | None) -> str | None:
    if experiment is None:
        return None
    return f"{experiment.metric.outcome.value} within {describe(experiment.metric.window)}"
