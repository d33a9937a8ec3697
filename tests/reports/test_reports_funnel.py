"""The funnel per journey, step, channel and arm on a data set worked out by hand."""

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from experiments.definitions import Arm, Experiment, Metric, Outcome
from models.messages import MessageStatus
from reports.funnel import Funnel, funnel
from reports.period import Period
from tests.conftest import unique
from tests.reports.seed import held_out, message, order, period_start, seed

DAY = timedelta(days=1)
EXPERIMENT = Experiment(
    id="winback_funnel_test",
    journey="winback",
    step="price_message",
    arms=(Arm(id="winback"),),
    metric=Metric(outcome=Outcome.CONVERSION, window=timedelta(days=30)),
    holdout_share=0.12,
)


def counts(report: Funnel, journey: str, step: str, arm: str | None = None) -> dict[str, int]:
    row = next(r for r in report.rows if r.journey == journey and r.step == step and r.arm == arm)
    return {
        name: getattr(row, name)
        for name in (
            "sent",
            "held_out",
            "delivered",
            "opened",
            "clicked",
            "converted",
            "held_out_converted",
            "unsubscribed",
            "complained",
            "bounced",
        )
    }


async def test_funnel_per_journey_step_channel_and_arm(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    t0 = period_start()
    c = [unique("funnel") for _ in range(8)]
    await seed(
        sessions,
        # cart_abandonment stage_1 on push: three sent.
        message(
            c[0], t0, channel="push", delivered_at=t0, opened_at=t0, clicked_at=t0, step="stage_1"
        ),
        order(c[0], t0 + 2 * DAY),  # converts this message and the stage_2 one
        message(c[1], t0, channel="push", delivered_at=t0, step="stage_1"),
        order(c[1], t0 + 8 * DAY),  # the default window is 7 days: too late
        message(
            c[2],
            t0,
            channel="push",
            delivered_at=t0,
            opened_at=t0,
            unsubscribed_at=t0,
            step="stage_1",
        ),
        # stage_2 on WeChat: one sent (bounced later), one suppressed by a guardrail.
        message(
            c[0],
            t0 + DAY,
            channel="wechat",
            step="stage_2",
            status=MessageStatus.FAILED,
            bounced_at=t0 + DAY,
        ),
        message(
            c[3],
            t0 + DAY,
            channel="wechat",
            step="stage_2",
            status=MessageStatus.SUPPRESSED,
            reason="daily_cap",
        ),
        # winback with a 30-day conversion metric: one treated, two held out.
        message(
            c[4],
            t0,
            journey="winback",
            step="price_message",
            channel="email",
            experiment_id=EXPERIMENT.id,
            arm_id="winback",
            complained_at=t0,
        ),
        order(c[4], t0 + 20 * DAY),  # within the experiment's 30 days
        held_out(c[5], t0, EXPERIMENT.id, journey="winback", step="price_message"),
        order(c[5], t0 + 10 * DAY),
        held_out(c[6], t0, EXPERIMENT.id, journey="winback", step="price_message"),
        # Decided after the period: not counted.
        message(c[7], t0 + 5 * DAY, channel="push", step="stage_1"),
    )
    period = Period(since=t0, until=t0 + 5 * DAY)

    async with sessions() as session:
        report = await funnel(session, period, {EXPERIMENT.id: EXPERIMENT}, timedelta(days=7))

    assert [(r.journey, r.step, r.channel, r.arm) for r in report.rows] == [
        ("cart_abandonment", "stage_1", "push", None),
        ("cart_abandonment", "stage_2", "wechat", None),
        ("winback", "price_message", "email", "holdout"),
        ("winback", "price_message", "email", "winback"),
    ]
    assert counts(report, "cart_abandonment", "stage_1") == {
        "sent": 3,
        "held_out": 0,
        "delivered": 3,
        "opened": 2,
        "clicked": 1,
        "converted": 1,
        "held_out_converted": 0,
        "unsubscribed": 1,
        "complained": 0,
        "bounced": 0,
    }
    stage_2 = counts(report, "cart_abandonment", "stage_2")
    assert (stage_2["sent"], stage_2["bounced"], stage_2["converted"]) == (1, 1, 1)
    assert counts(report, "winback", "price_message", "holdout") == {
        "sent": 0,
        "held_out": 2,
        "delivered": 0,
        "opened": 0,
        "clicked": 0,
        "converted": 0,
        "held_out_converted": 1,
        "unsubscribed": 0,
        "complained": 0,
        "bounced": 0,
    }
    treated = counts(report, "winback", "price_message", "winback")
    assert (treated["sent"], treated["converted"], treated["complained"]) == (1, 1, 1)
    assert [
        (j.journey, j.sent, j.converted, j.held_out, j.held_out_converted) for j in report.journeys
    ] == [
        ("cart_abandonment", 4, 2, 0, 0),
        ("winback", 1, 1, 2, 1),
    ]
    assert (report.total.sent, report.total.clicked, report.total.converted) == (5, 1, 3)

    async with sessions() as session:
        only_winback = await funnel(
            session, period, {EXPERIMENT.id: EXPERIMENT}, timedelta(days=7), journey="winback"
        )
        unknown_experiment = await funnel(session, period, {}, timedelta(days=7), journey="winback")
    assert {r.journey for r in only_winback.rows} == {"winback"}
    assert (only_winback.total.converted, only_winback.total.held_out_converted) == (1, 1)
    # Without the experiment's definition the 7-day default applies: the day-10 and day-20
    # orders are too late.
    assert (unknown_experiment.total.converted, unknown_experiment.total.held_out_converted) == (
        0,
        0,
    )
