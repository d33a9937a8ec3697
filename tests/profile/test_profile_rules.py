"""The profile's rules without a database: figures, health parts, stages, tags, RFM, CLV."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from pydantic import ValidationError
from scipy.special import hyp2f1

from journeys.facts import CustomerFacts
from journeys.spec import Condition
from models.behaviour import BehaviourEvent, OrderSummary
from models.customers import Customer
from models.profiles import MessageOutcome, ProfileConfig
from profiles.clv import BgNbdParams, expected_purchases, shipped_model
from profiles.compute import compute_profile
from profiles.features import ProfileInputs
from profiles.rfm import rfm_edges
from profiles.segments import SEGMENTS_BY_NAME, segments_held
from profiles.tags import TAGS_BY_NAME

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)


def event(type: str, days_ago: float, **properties: object) -> BehaviourEvent:
    return BehaviourEvent(type=type, occurred_at=NOW - days_ago * DAY, properties=properties)


def inputs(
    events: list[BehaviourEvent],
    orders: list[tuple[float, float]] = (),
    messages: list[MessageOutcome] = (),
    **profile: object,
) -> ProfileInputs:
    paid = [OrderSummary(paid_at=NOW - days * DAY, amount=total) for days, total in orders]
    order_events = [event("order_paid", days, total=total) for days, total in orders]
    everything = sorted([*events, *order_events], key=lambda e: e.occurred_at)
    return ProfileInputs(
        customer_id="c-1",
        customer=Customer(customer_id="c-1", **profile),
        events=tuple(everything),
        orders=tuple(sorted(paid, key=lambda o: o.paid_at)),
        messages=tuple(messages),
    )


def profile_of(data: ProfileInputs, config: ProfileConfig | None = None):
    edges = rfm_edges([1, 5, 20, 40, 90], [1, 1, 2, 3, 6], [50, 80, 120, 300, 2000])
    return compute_profile(data, config or ProfileConfig(), edges, shipped_model(), NOW)


def test_tags_follow_their_thresholds_and_name_no_contact_detail() -> None:
    big = profile_of(
        inputs(
            [event("page_viewed", 1, page_type="new_arrivals")],
            orders=[(30, 600.0), (10, 500.0)],
            email="a@example.com",
            consent={"email": True},
            attributes={"region": "east", "member_tier": "gold"},
        )
    )
    assert big.tags["high_order_value"] is True  # aov 550 >= 500
    assert big.tags["browsed_new_arrivals"] is True
    assert big.tags["no_order_7d"] is True
    assert (big.tags["region"], big.tags["member_tier"]) == ("east", "gold")
    assert big.tags["channel_preference"] == "email"
    assert big.tags["rfm_top20"] is True and big.tags["rfm_cell"].endswith("M5")
    assert "a@example.com" not in str(big.tags)
    held, _ = segments_held(big.tags, "on_change")
    assert held == {"high_value_new_arrivals"}

    small = profile_of(inputs([], orders=[(30, 499.0), (10, 499.0)]))
    assert "high_order_value" not in small.tags
    assert TAGS_BY_NAME["high_order_value"].rule() == "aov_12m >= 500"


def test_health_parts_explain_the_score_and_the_weights_are_the_business() -> None:
    data = inputs(
        [
            event("page_viewed", 2),
            event(
                "support_ticket_closed",
                20,
                topic="delivery",
                sentiment="negative",
                resolution_hours=100,
            ),
        ],  # fmt: skip
        orders=[(2, 80.0)],
        messages=[
            MessageOutcome(
                created_at=NOW - 5 * DAY, status="sent", channel="email", opened_at=NOW - 5 * DAY
            ),
            MessageOutcome(created_at=NOW - 4 * DAY, status="sent", channel="push"),
        ],  # fmt: skip
    )
    health = profile_of(data).health
    parts = {part.name: part for part in health.parts}
    assert health.score == pytest.approx(sum(p.points for p in health.parts), abs=0.1)
    assert parts["support_sentiment"].value == 0  # the one ticket was negative
    assert parts["support_resolution"].inputs == {"mean_resolution_hours_180d": 100.0}
    assert parts["positive_feedback"].value == 1  # 1 of 2 opened, over the 30 % target
    weights = ProfileConfig().health_weights.model_dump()
    weights.update(recency=0, purchases=40)
    reweighted = profile_of(data, ProfileConfig(health_weights=weights)).health
    assert reweighted.score != health.score
    with pytest.raises(ValidationError, match="add up to 100"):
        ProfileConfig(health_weights={**weights, "recency": 10})


@pytest.mark.parametrize(
    ("orders", "seen_days_ago", "stage"),
    [
        ([], 2, "new"),
        ([], 20, "onboarding"),
        ([(10, 50.0)], 10, "onboarding"),
        ([(200, 50.0), (35, 50.0)], 1, "dormant_light"),
        ([(200, 50.0), (90, 50.0)], 1, "dormant_medium"),
        ([(300, 50.0), (130, 50.0)], 1, "dormant_heavy"),
        ([(400, 50.0)], 380, "churned"),
        ([(60, 50.0), (40, 50.0), (20, 50.0), (3, 50.0)], 1, "loyal"),
    ],
)
def test_lifecycle_stage_rules(
    orders: list[tuple[float, float]], seen_days_ago: float, stage: str
) -> None:
    assert profile_of(inputs([event("page_viewed", seen_days_ago)], orders)).stage == stage


def test_at_risk_when_health_falls_under_the_threshold() -> None:
    data = inputs([event("page_viewed", 25)], orders=[(100, 50.0), (25, 50.0)])
    assert profile_of(data).health.score == pytest.approx(50.1, abs=0.1)
    assert profile_of(data).stage == "active"
    stricter = ProfileConfig(lifecycle={"at_risk_health": 55})
    assert profile_of(data, stricter).stage == "at_risk"


def test_dormant_segments_are_the_daily_scans_and_emit_the_winback_event() -> None:
    tags = {"lifecycle_stage": "dormant_medium"}
    assert segments_held(tags, "on_change")[0] == set()
    assert segments_held(tags, "daily")[0] == {"dormant_medium"}
    assert SEGMENTS_BY_NAME["dormant_medium"].event_properties() == {"tier": "medium"}


def test_the_runtime_series_agrees_with_scipy() -> None:
    params = shipped_model().bgnbd
    for x, t_x, big_t in ((0, 0, 10), (1, 30, 200), (12, 300, 330), (60, 700, 720)):
        ours = expected_purchases(params, x, t_x, big_t, 365)
        assert ours == pytest.approx(_scipy_expected(params, x, t_x, big_t, 365), rel=1e-9)


def _scipy_expected(params: BgNbdParams, x: int, t_x: float, big_t: float, t: float) -> float:
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = t / (alpha + big_t + t)
    tail = 1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyp2f1(
        r + x, b + x, a + b + x - 1, z
    )
    odds = a / (b + x - 1) * ((alpha + big_t) / (alpha + t_x)) ** (r + x) if x else 0.0
    return float((a + b + x - 1) / (a - 1) * tail / (1 + odds))


def test_clv_grows_with_a_steady_buyer() -> None:
    rare = profile_of(inputs([], orders=[(200, 50.0)])).clv
    steady = profile_of(inputs([], orders=[(d, 50.0) for d in np.arange(180, 0, -20)])).clv
    assert rare is not None and steady is not None
    assert steady.expected_purchases_365d > rare.expected_purchases_365d
    assert steady.value_365d > rare.value_365d


def test_journey_branches_read_the_profile_tags() -> None:
    risky = Condition(tags={"high_churn_risk": (True,), "lifecycle_stage": ("at_risk", "loyal")})
    facts = CustomerFacts(tags={"high_churn_risk": True, "lifecycle_stage": "loyal"})
    assert risky.holds(facts)
    assert not risky.holds(CustomerFacts(tags={"lifecycle_stage": "loyal"}))  # a tag not held
