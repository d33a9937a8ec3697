"""Holdout lift per experiment, and the bandit's persisted posteriors refreshed from the ledger."""

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from experiments.bandit import BetaPosterior
from experiments.definitions import Allocation, Arm, Experiment, Metric, Outcome
from experiments.lift import lift
from models.messages import MessageStatus
from models.tables import MessageRow
from reports.bandit_state import refresh_experiment
from reports.experiment_results import experiment_report
from reports.period import Period
from storage.experiment_arms import arm_posteriors, promoted_winner
from tests.conftest import unique
from tests.reports.seed import held_out, message, order, period_start, seed

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def holdout_experiment() -> Experiment:
    return Experiment(
        id=unique("holdout_test"),
        journey="winback",
        step="price_message",
        arms=(Arm(id="coupon"), Arm(id="care")),
        metric=Metric(outcome=Outcome.CONVERSION, window=timedelta(days=30)),
        holdout_share=0.12,
    )


def bandit(outcome: Outcome = Outcome.CLICK, min_trials: int = 5) -> Experiment:
    return Experiment(
        id=unique("bandit_test"),
        journey="cart_abandonment",
        step="stage_1",
        arms=(Arm(id="a"), Arm(id="b")),
        allocation=Allocation.BANDIT,
        metric=Metric(outcome=outcome, window=timedelta(hours=24)),
        promotion_threshold=0.95,
        promotion_min_trials=min_trials,
    )


async def test_lift_is_treated_minus_holdout_conversion_per_customer(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    experiment = holdout_experiment()
    t0 = period_start()
    treated = [unique("t") for _ in range(5)]
    holdout = [unique("h") for _ in range(4)]

    def send(customer: str, day: float, arm: str, **columns: object) -> MessageRow:
        return message(
            customer,
            t0 + day * DAY,
            journey="winback",
            step="price_message",
            experiment_id=experiment.id,
            arm_id=arm,
            **columns,
        )

    await seed(
        sessions,
        send(treated[0], 1, "coupon"),
        order(treated[0], t0 + 3 * DAY),
        # Two sends: the customer counts once, from the first (the order is 29 days after it).
        send(treated[1], 1, "coupon"),
        send(treated[1], 5, "coupon"),
        order(treated[1], t0 + 30 * DAY),
        # Delivery failed: still treated (the decision was to send), and converted.
        send(treated[2], 2, "care", status=MessageStatus.FAILED, reason="provider_error"),
        order(treated[2], t0 + 4 * DAY),
        send(treated[3], 2, "care"),
        send(treated[4], 3, "care"),
        order(treated[4], t0 + 3 * DAY + 31 * DAY),  # too late
        # A guardrail suppressed this one: neither group.
        send(unique("x"), 3, "care", status=MessageStatus.SUPPRESSED, reason="weekly_cap"),
        held_out(holdout[0], t0 + DAY, experiment.id, journey="winback"),
        order(holdout[0], t0 + 2 * DAY),
        held_out(holdout[1], t0 + DAY, experiment.id, journey="winback"),
        held_out(holdout[2], t0 + 2 * DAY, experiment.id, journey="winback"),
        held_out(holdout[3], t0 + 2 * DAY, experiment.id, journey="winback"),
        held_out(holdout[3], t0 + 6 * DAY, experiment.id, journey="winback"),
    )

    async with sessions() as session:
        report = await experiment_report(
            session,
            Period(since=t0, until=t0 + 10 * DAY),
            {experiment.id: experiment},
            timedelta(days=7),
        )

    result = next(r for r in report.experiments if r.experiment_id == experiment.id)
    assert (result.treated.customers, result.treated.converted) == (5, 3)
    assert (result.holdout.customers, result.holdout.converted) == (4, 1)
    assert result.lift == lift(3, 5, 1, 4)
    assert result.lift is not None and result.lift.difference == pytest.approx(0.6 - 0.25)
    arms = {arm.arm_id: arm for arm in result.arms}
    assert list(arms) == ["coupon", "care"]
    assert (arms["coupon"].conversion.customers, arms["coupon"].conversion.converted) == (2, 2)
    assert (arms["care"].conversion.customers, arms["care"].conversion.converted) == (3, 1)
    assert arms["coupon"].lift == lift(2, 2, 1, 4)
    assert arms["care"].posterior_mean is None  # never refreshed
    assert result.defined and result.metric == "conversion within 30 days"
    assert result.lift_unavailable is None


async def test_no_lift_without_a_holdout_in_the_period(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    experiment = holdout_experiment()
    t0 = period_start()
    await seed(
        sessions,
        message(unique("t"), t0, experiment_id=experiment.id, arm_id="coupon", journey="winback"),
    )
    async with sessions() as session:
        report = await experiment_report(
            session, Period(since=t0, until=t0 + DAY), {experiment.id: experiment}, DAY
        )
    result = next(r for r in report.experiments if r.experiment_id == experiment.id)
    assert result.lift is None
    assert result.lift_unavailable == "no held-out customer in the period"


async def test_refresh_counts_click_outcomes_per_arm_and_promotes_the_winner(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    experiment = bandit(Outcome.CLICK)
    t0 = period_start()
    now = t0 + 10 * DAY

    def send(
        arm: str, at_offset: timedelta, click_after: timedelta | None = None, **columns: object
    ) -> MessageRow:
        at = t0 + at_offset
        clicked = at + click_after if click_after is not None else None
        return message(
            unique("c"), at, experiment_id=experiment.id, arm_id=arm, clicked_at=clicked, **columns
        )

    rows = [send("a", DAY, click_after=2 * HOUR) for _ in range(8)]
    rows.append(send("a", DAY, click_after=48 * HOUR))  # clicked after the window: a failure
    rows.append(send("a", DAY))
    rows.append(send("b", DAY, click_after=HOUR))
    rows += [send("b", DAY) for _ in range(9)]
    rows.append(send("b", 10 * DAY - HOUR))  # its window is still open at `now`: pending
    rows.append(send("a", DAY, status=MessageStatus.SUPPRESSED, reason="daily_cap"))  # not sent
    rows.append(send("c", DAY, click_after=HOUR))  # not an arm of the experiment
    await seed(sessions, *rows)

    result = await refresh_experiment(sessions, experiment, now, draws=4_000)

    arms = {arm.arm_id: arm for arm in result.arms}
    assert arms["a"].posterior == BetaPosterior(successes=8, failures=2)
    assert arms["b"].posterior == BetaPosterior(successes=1, failures=9)
    assert (arms["a"].pending, arms["b"].pending) == (0, 1)
    assert arms["a"].probability_best is not None and arms["a"].probability_best > 0.99
    assert result.winner is not None and result.winner.arm_id == "a" and result.promoted_now
    async with sessions() as session:
        assert await arm_posteriors(session, experiment.id) == {
            "a": BetaPosterior(successes=8, failures=2),
            "b": BetaPosterior(successes=1, failures=9),
        }
        assert await promoted_winner(session, experiment.id) == "a"

    # b catches up: the posteriors follow, the promotion stays.
    await seed(sessions, *[send("b", 2 * DAY, click_after=HOUR) for _ in range(30)])
    again = await refresh_experiment(sessions, experiment, now + DAY, draws=4_000)
    assert {arm.arm_id: arm.posterior.successes for arm in again.arms} == {"a": 8, "b": 31}
    assert again.winner is not None and again.winner.arm_id == "a" and not again.promoted_now
    async with sessions() as session:
        assert (await arm_posteriors(session, experiment.id))["b"].trials == 41
        assert await promoted_winner(session, experiment.id) == "a"


async def test_refresh_counts_conversions_and_waits_for_enough_trials(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    experiment = bandit(Outcome.CONVERSION, min_trials=100)
    t0 = period_start()
    rows = []
    for arm, converted in (("a", 6), ("b", 0)):
        for index in range(6):
            customer = unique("c")
            rows.append(message(customer, t0, experiment_id=experiment.id, arm_id=arm, journey="x"))
            if index < converted:
                rows.append(order(customer, t0 + 20 * HOUR))
            else:
                rows.append(order(customer, t0 + 25 * HOUR))  # after the 24 h window
    await seed(sessions, *rows)

    result = await refresh_experiment(sessions, experiment, t0 + 2 * DAY, draws=4_000)

    arms = {arm.arm_id: arm for arm in result.arms}
    assert arms["a"].posterior == BetaPosterior(successes=6, failures=0)
    assert arms["b"].posterior == BetaPosterior(successes=0, failures=6)
    assert arms["a"].probability_best is not None and arms["a"].probability_best > 0.95
    # Far past the threshold, but 6 trials per arm are fewer than the 100 required.
    assert result.winner is None and not result.promoted_now
    async with sessions() as session:
        assert await promoted_winner(session, experiment.id) is None
        assert await arm_posteriors(session, "no-such-experiment") == {}
