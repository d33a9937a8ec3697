"""The send path's picks step on both databases: a retried attempt of the same message records
the same picks once (the 48-hour rule does not hide the message's own picks from itself), a
later message gets other ones, and a step without picks records nothing."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from experiments.definitions import Arm, Experiment, Metric, Outcome, PickSource
from journeys.browse_abandonment import BROWSE_ABANDONMENT
from journeys.cart_abandonment import CART_ABANDONMENT
from journeys.runs import PrepareMessage
from journeys.spec import Send
from models.events import Event, EventType
from models.messages import MessageDecision, MessageStatus
from offers.catalogue import load_catalogue
from offers.settings import OfferSettings
from recommendations.ranker import Reason
from recommendations.tables import load_model_tables
from sending.picks import PickStep
from storage import recommendations as store
from storage.database import create_engine, session_factory
from tests.conftest import unique
from tests.recommendations.model_builder import ITEMS, tiny_model
from tests.reports.seed import event, seed

NOW = datetime.now(UTC).replace(microsecond=0)
REMINDER = next(s for s in BROWSE_ABANDONMENT.steps if isinstance(s, Send))
CART_STAGE_1 = next(s for s in CART_ABANDONMENT.steps if isinstance(s, Send))


@pytest.fixture
async def step(database_url: str) -> AsyncIterator[tuple[PickStep, async_sessionmaker]]:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    await load_model_tables(sessions, tiny_model(unique("tiny")), NOW)
    yield PickStep(sessions, None, load_catalogue(OfferSettings().catalogue_path)), sessions
    await engine.dispose()


def ask(
    customer_id: str, send: Send, at: datetime, carted: tuple[str, ...] = ()
) -> tuple[PrepareMessage, MessageDecision]:
    """A message about a view of cereal, or about a cart of `carted` items."""
    items = [{"sku": sku, "quantity": 1} for sku in carted]
    event = Event(
        event_id=unique("e"),
        customer_id=customer_id,
        type=EventType.CART_UPDATED if carted else EventType.PRODUCT_VIEWED,
        occurred_at=at,
        properties={"cart_id": "c-1", "items": items, "total": 9} if carted else {"sku": "cereal"},
    )
    key = f"browse_abandonment:{customer_id}:{event.event_id}:{send.id}"
    request = PrepareMessage(
        idempotency_key=key,
        customer_id=customer_id,
        journey="browse_abandonment",
        workflow_id=f"browse_abandonment:{customer_id}",
        step=send,
        trigger_event=event,
        decided_at=at,
    )
    decision = MessageDecision(
        message_id=unique("m"),
        idempotency_key=key,
        customer_id=customer_id,
        journey="browse_abandonment",
        workflow_id=request.workflow_id,
        step=send.id,
        trigger_event_id=event.event_id,
        channel="inapp",
        status=MessageStatus.PENDING,
        reason="allowed",
        rule="passed",
        created_at=at,
    )
    return request, decision


async def test_a_retry_records_the_same_picks_once_and_the_next_message_others(
    step: tuple[PickStep, async_sessionmaker[AsyncSession]],
) -> None:
    picks, sessions = step
    customer_id = unique("c")
    request, decision = ask(customer_id, REMINDER, NOW)

    first = await picks.choose(request, decision)
    again = await picks.choose(request, decision)  # the activity retried before the delivery
    later = await picks.choose(*ask(customer_id, REMINDER, NOW + timedelta(hours=3)))

    assert first is not None and again is not None and later is not None
    chosen = [s.pick.product_id for s in first.picks]
    assert len(chosen) >= 2 and [s.pick.product_id for s in again.picks] == chosen
    async with sessions() as session:
        kept = await store.recommended_in_message(session, decision.message_id)
    assert [row.product_id for row in kept] == chosen
    assert not {s.pick.product_id for s in later.picks} & set(chosen)


async def test_a_step_without_picks_records_none(
    step: tuple[PickStep, async_sessionmaker[AsyncSession]],
) -> None:
    picks, sessions = step
    request, decision = ask(unique("c"), CART_STAGE_1, NOW)
    assert await picks.choose(request, decision) is None
    async with sessions() as session:
        assert await store.recommended_in_message(session, decision.message_id) == []


async def test_a_message_left_with_one_pick_shows_none_and_records_none(
    step: tuple[PickStep, async_sessionmaker[AsyncSession]],
) -> None:
    """The small model's ten products: the view of cereal's message takes four, a cart of four
    and cereal leaves one product for its message, which then shows none; that product is
    still free for the next message."""
    picks, sessions = step
    customer_id = unique("c")
    first = await picks.choose(*ask(customer_id, REMINDER, NOW))
    assert first is not None
    taken = {s.pick.product_id for s in first.picks}
    rest = sorted(set(ITEMS) - taken - {"cereal"})
    assert len(rest) == 5
    cart = ("cereal", *rest[:4])
    request, decision = ask(customer_id, REMINDER, NOW + timedelta(hours=1), cart)
    lonely = await picks.choose(request, decision)
    later = await picks.choose(*ask(customer_id, REMINDER, NOW + timedelta(hours=2)))

    assert lonely is not None and lonely.picks == []
    async with sessions() as session:
        assert await store.recommended_in_message(session, decision.message_id) == []
    assert later is not None and rest[4] in {s.pick.product_id for s in later.picks}


async def test_an_experiments_popular_arm_shows_the_popular_list_and_its_personal_arm_the_models(
    step: tuple[PickStep, async_sessionmaker[AsyncSession]],
) -> None:
    """Two customers who both viewed cereal yesterday, one in each arm of an experiment on the
    reminder: the popular arm's message gets the popular list and nothing personal (its copy is
    then the opted-out customer's, tests/recommendations/test_send_picks.py); the personal arm's
    gets picks bought with cereal."""
    picks, sessions = step
    experiment = Experiment(
        id="browse_picks_v1",
        journey="browse_abandonment",
        step=REMINDER.id,
        arms=(Arm(id="personal", picks=PickSource.PERSONAL), Arm(id="popular", picks="popular")),
        metric=Metric(outcome=Outcome.CLICK, window=timedelta(days=1)),
    )
    reminder = REMINDER.model_copy(update={"experiment": experiment})
    chosen = {}
    for arm in ("personal", "popular"):
        customer_id = unique("c")
        await seed(
            sessions,
            event(customer_id, "product_viewed", NOW - timedelta(days=1), {"sku": "cereal"}),
        )
        request, decision = ask(customer_id, reminder, NOW)
        decision = decision.model_copy(update={"experiment_id": experiment.id, "arm_id": arm})
        chosen[arm] = await picks.choose(request, decision)

    personal, popular = chosen["personal"], chosen["popular"]
    assert personal is not None and popular is not None
    assert personal.personalised and not popular.personalised
    assert {s.pick.reason for s in popular.picks} == {Reason.POPULAR}, popular
    assert (await picks.for_copy(popular))[1] is False  # the copy says nothing personal
    assert any(
        s.pick.reason is Reason.BOUGHT_WITH and s.pick.figures["anchor"] == "cereal"
        for s in personal.picks
    ), personal
