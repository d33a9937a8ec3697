"""The journey language, the catalogue's definitions, routing, wait deadlines and branch facts,
without Temporal."""

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from content.library import template_ids
from dormancy.labels import DormancyReason, DormancyTier
from dormancy.settings import DormancySettings
from journeys.facts import CustomerFacts
from journeys.facts_from_events import (
    activity_summary,
    customer_facts,
    next_store_visit,
    usual_store_weekday,
)
from journeys.registry import JOURNEYS, Action, routes_for
from journeys.spec import JourneySpec, PropertyTest, Send, WaitLocalTime, WaitUntil
from journeys.timing import at_local_time, date_deadline, local_time_deadline
from models.behaviour import BehaviourEvent, OrderSummary
from models.customers import Customer
from models.events import Event, EventType
from offers.catalogue import load_catalogue
from scoring.segments import IntentSegment
from scoring.settings import ScoringSettings
from workflows.journey import JOURNEY_WORKFLOW_TYPES

NOW = datetime(2026, 3, 4, 4, 0, tzinfo=UTC)  # a Wednesday, 12:00 in Shanghai
SHANGHAI = "Asia/Shanghai"


def spec(steps: list[dict[str, Any]], **fields: Any) -> JourneySpec:
    return JourneySpec.model_validate(
        {
            "kind": "test_journey",
            "workflow_type": "TestJourney",
            "version": 1,
            "trigger": "signup",
            "steps": steps,
            **fields,
        }
    )


SEND = {"kind": "send", "id": "hello", "stage": 1, "template": "welcome", "channels": ["email"]}
PICKS_EXPERIMENT = {
    "id": "picks_v1",
    "journey": "test_journey",
    "step": "hello",
    "arms": [{"id": "personal"}, {"id": "popular", "picks": "popular"}],
    "metric": {"outcome": "click", "window": "P1D"},
}


def event(type: str, properties: dict[str, Any] | None = None, at: datetime = NOW) -> Event:
    return Event(
        event_id="e-1",
        customer_id="c-1",
        type=EventType(type),
        occurred_at=at,
        properties=properties or {},
    )


def behaviour(type: str, days_ago: float, **properties: Any) -> BehaviourEvent:
    return BehaviourEvent(
        type=type, occurred_at=NOW - timedelta(days=days_ago), properties=properties
    )


# The catalogue


def test_every_journey_of_the_catalogue_exists_with_its_own_workflow_type() -> None:
    kinds = [journey.kind for journey in JOURNEYS]
    assert kinds == [
        "welcome",
        "browse_abandonment",
        "cart_abandonment",
        "price_drop",
        "low_stock",
        "post_support",
        "offer_expiry",
        "winback",
        "store_reminder",
        "cross_sell",
        "early_access",
    ]
    types = [journey.workflow_type for journey in JOURNEYS]
    assert len(set(types)) == len(types)
    assert set(types) < set(JOURNEY_WORKFLOW_TYPES)


@pytest.mark.parametrize("journey", JOURNEYS, ids=lambda j: j.kind)
def test_definitions_name_real_templates_and_offers_and_survive_the_snapshot(
    journey: JourneySpec,
) -> None:
    catalogue = load_catalogue()
    for step in journey.steps:
        if isinstance(step, Send):
            assert step.template in template_ids(), step.id
            if step.offer is not None:
                assert journey.kind in catalogue.get(step.offer).journeys, step.id
    # The workflow input carries a copy: it must come back as the same definition.
    assert JourneySpec.model_validate_json(journey.model_dump_json()) == journey


def test_routing_follows_the_definitions() -> None:
    def routes(type: str, **properties: Any) -> dict[str, Action]:
        return {r.journey.kind: r.action for r in routes_for(EventType(type), properties)}

    assert routes("price_changed", old_price=99, new_price=79) == {"price_drop": Action.START}
    assert routes("price_changed", old_price=99, new_price=109) == {}
    assert routes("stock_changed", sku="s", stock=3) == {"low_stock": Action.START}
    assert routes("stock_changed", sku="s", stock=0) == {}
    assert routes("cart_updated") == {
        "cart_abandonment": Action.START,
        "browse_abandonment": Action.END,
        "winback": Action.SIGNAL,  # awaited: the dormant customer is back
    }
    ended = routes("order_paid")
    assert set(ended.values()) == {Action.END} and "store_reminder" not in ended


# The language's checks


@pytest.mark.parametrize(
    ("steps", "fields", "message"),
    [
        ([SEND, SEND], {}, "step ids must be unique within a journey: hello"),
        ([{**SEND, "id": "end"}], {}, "reserved"),
        (
            [{"kind": "branch", "id": "b", "cases": [{"when": {"rfm_top20": True}, "goto": "x"}]}],
            {},
            "goes to unknown step(s): ['x']",
        ),
        ([{"kind": "goto", "id": "g", "to": "end"}, SEND], {}, "goto needs a step id"),
        ([SEND, {"kind": "goto", "id": "g", "to": "hello"}], {}, "a goto back needs `times`"),
        (
            [{"kind": "wait_until", "id": "w", "date": "facts.birthday"}],
            {},
            "no date fact 'birthday'",
        ),
        ([{**SEND, "offer": "CART_TIMED_10", "offer_rule": "expected_value"}], {}, "offer_rule"),
        (
            [{**SEND, "deliver_within": "PT1H", "deliver_by": "event.expires_at"}],
            {},
            "not both",
        ),
        (
            [{"kind": "branch", "id": "b", "cases": [{"when": {}, "goto": "next"}]}],
            {},
            "at least one test",
        ),
        ([SEND], {"exit_on": ["signup"]}, "trigger cannot also be an exit event"),
        ([{**SEND, "channels": []}], {}, "at least 1 item"),
        (
            # The cart reminder shows no recommendations: an arm setting them would measure
            # nothing.
            [{**SEND, "template": "cart_abandonment.stage1", "experiment": PICKS_EXPERIMENT}],
            {},
            "arm popular sets picks, but the message of step 'hello' (template "
            "'cart_abandonment.stage1') carries none",
        ),
        ([{**SEND, "kind": "shout"}], {}, "does not match any of the expected tags"),
    ],
)
def test_a_bad_definition_is_refused_with_a_clear_error(
    steps: list[dict[str, Any]], fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        spec(steps, **fields)


def test_an_arm_may_set_the_picks_of_a_message_that_carries_them() -> None:
    welcome = spec([{**SEND, "experiment": PICKS_EXPERIMENT}]).steps[0]
    assert isinstance(welcome, Send) and welcome.carries_picks


def test_property_tests() -> None:
    drop = PropertyTest(property="new_price", op="lt", than="old_price")
    assert drop.holds({"new_price": "79.00", "old_price": 99})
    assert not drop.holds({"new_price": 99, "old_price": 99})
    assert not drop.holds({"new_price": "cheap", "old_price": 99})
    assert not drop.holds({"old_price": 99})
    assert PropertyTest(property="topic", op="eq", value="size").holds({"topic": "size"})
    assert PropertyTest(property="coupon_id", op="present").holds({"coupon_id": "c"})
    with pytest.raises(ValidationError, match="exactly one of value and than"):
        PropertyTest(property="stock", op="le")


# Deadlines


def test_local_time_waits_land_on_the_customer_clock() -> None:
    noon = datetime(2026, 3, 4, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
    assert at_local_time(noon, time(10), SHANGHAI, days=1) == datetime(2026, 3, 5, 2, tzinfo=UTC)
    # 10:00 today has passed: the next 10:00.
    assert at_local_time(noon, time(10), SHANGHAI) == datetime(2026, 3, 5, 2, tzinfo=UTC)
    assert at_local_time(noon, time(19), SHANGHAI) == datetime(2026, 3, 4, 11, tzinfo=UTC)
    step = WaitLocalTime(id="w", days=2, at=time(10))
    facts = CustomerFacts(timezone="America/New_York")
    # 2026-03-04 04:00 UTC is the evening of 3 March in New York; DST starts on 8 March.
    assert local_time_deadline(step, noon, facts) == datetime(2026, 3, 5, 15, tzinfo=UTC)


def test_date_waits_before_an_expiry_or_a_usual_visit_day() -> None:
    facts = CustomerFacts(timezone=SHANGHAI, next_store_visit=date(2026, 3, 9))
    expiry = WaitUntil(id="w", date="event.expires_at", offset=-timedelta(hours=4))
    coupon = event("coupon_issued", {"expires_at": "2026-03-06T20:00:00+08:00"})
    assert date_deadline(expiry, coupon, facts) == datetime(2026, 3, 6, 8, tzinfo=UTC)
    assert date_deadline(expiry, event("coupon_issued", {"expires_at": "soon"}), facts) is None
    visit = WaitUntil(id="v", date="facts.next_store_visit", offset=-timedelta(days=1), at=time(10))
    assert date_deadline(visit, event("store_visit"), facts) == datetime(2026, 3, 8, 2, tzinfo=UTC)
    birthday = WaitUntil(id="b", date="profile.birthday", at=time(9))
    with_birthday = facts.model_copy(update={"attributes": {"birthday": "2026-04-01"}})
    assert date_deadline(birthday, event("signup"), with_birthday) == datetime(
        2026, 4, 1, 1, tzinfo=UTC
    )


# Facts


def test_usual_store_day_and_the_next_visit() -> None:
    tuesdays = [datetime(2026, 3, 3, 3, tzinfo=UTC) - timedelta(weeks=n) for n in range(3)]
    saturday = [datetime(2026, 2, 28, 3, tzinfo=UTC)]
    assert usual_store_weekday(tuesdays + saturday, NOW, SHANGHAI) == 1
    assert usual_store_weekday(saturday, NOW, SHANGHAI) is None  # one visit is no habit
    # From Wednesday 4 March: the next Tuesday is the 10th; a Thursday habit skips tomorrow.
    assert next_store_visit(1, NOW, SHANGHAI) == date(2026, 3, 10)
    assert next_store_visit(3, NOW, SHANGHAI) == date(2026, 3, 12)


def test_facts_from_history_and_from_the_dormant_event() -> None:
    customer = Customer(customer_id="c-1", timezone=SHANGHAI, consent={"email": True})
    common: dict[str, Any] = {
        "model": None,
        "scoring": ScoringSettings(),
        "dormancy": DormancySettings(),
        "tags": {},
        "health_score": None,
    }
    history = [behaviour("page_viewed", 45, page_type="sale", price_filter=True)] * 5
    facts = customer_facts(customer, history, [], NOW, **common)
    assert (facts.segment, facts.dormancy_tier, facts.days_inactive) == (
        IntentSegment.COLD,
        DormancyTier.LIGHT,
        45,
    )
    assert facts.consent == {"email": True}

    said = event("customer_dormant", {"tier": "heavy", "reason": "service"})
    overridden = customer_facts(customer, history, [], NOW, trigger=said, **common)
    assert (overridden.dormancy_tier, overridden.dormancy_reason) == (
        DormancyTier.HEAVY,
        DormancyReason.SERVICE,
    )

    orders = [OrderSummary(paid_at=NOW - timedelta(days=d), amount=80) for d in (10, 5)]
    paid = [behaviour("order_paid", d) for d in (10, 5)]
    assert customer_facts(customer, paid, orders, NOW, **common).segment == IntentSegment.WARM
    assert customer_facts(None, [], [], NOW, **common).known is False
    assert activity_summary("c-1", [behaviour("customer_dormant", 1)], NOW) is None
