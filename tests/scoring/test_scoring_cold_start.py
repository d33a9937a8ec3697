"""The documented rules that score a customer when the model has too little to go on."""

from datetime import UTC, datetime, timedelta

from models.behaviour import OrderSummary
from scoring.intent import score_customer
from scoring.model import IntentModel
from scoring.segments import IntentSegment
from tests.scoring.builders import event, views

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
FULL_CART = event("cart_updated", NOW - timedelta(minutes=40), items=[{"sku": "a", "quantity": 3}])


def orders(*days_ago: float, amount: float = 100.0) -> list[OrderSummary]:
    return [OrderSummary(paid_at=NOW - timedelta(days=d), amount=amount) for d in days_ago]


def test_a_stranger_is_cold(shipped_model: IntentModel) -> None:
    intent = score_customer([], [], NOW, shipped_model)
    assert (intent.source, intent.score, intent.segment) == ("rules", 10.0, IntentSegment.COLD)
    assert intent.model_version is None and intent.features["recency_days"] is None


def test_too_short_a_session_uses_the_rules(shipped_model: IntentModel) -> None:
    intent = score_customer(views(NOW - timedelta(minutes=3), 2), [], NOW, shipped_model)
    assert intent.source == "rules"
    assert intent.score == 10.0  # two product views in 7 days earn nothing yet


def test_without_a_model_the_rules_score_even_a_rich_session() -> None:
    intent = score_customer(views(NOW - timedelta(minutes=30), 12), [], NOW, None)
    assert intent.source == "rules"
    assert intent.score == 10 + 10  # base + 10 product views in the last week


def test_a_stale_session_uses_the_rules(shipped_model: IntentModel) -> None:
    long_ago = views(NOW - timedelta(days=45), 20)
    intent = score_customer(long_ago, orders(50), NOW, shipped_model)
    assert intent.source == "rules"
    assert intent.score == 10 + 15  # base + an order within 90 days


def test_a_full_cart_makes_a_stranger_warm(shipped_model: IntentModel) -> None:
    intent = score_customer([FULL_CART], [], NOW, shipped_model)
    assert (intent.score, intent.segment) == (40.0, IntentSegment.WARM)
    assert intent.features["cart_items"] == 3


def test_a_recent_repeat_buyer_with_a_full_cart_is_hot(shipped_model: IntentModel) -> None:
    intent = score_customer([FULL_CART], orders(5, 40, 200), NOW, shipped_model)
    assert intent.score == 10 + 25 + 10 + 30
    assert intent.segment is IntentSegment.HOT


def test_every_rule_together_caps_at_100(shipped_model: IntentModel) -> None:
    events = [
        FULL_CART,
        *views(NOW - timedelta(days=2), 2),
        *views(NOW - timedelta(days=1), 2),
        *views(NOW - timedelta(hours=3), 2),
        *views(NOW - timedelta(hours=1), 2),
        *views(NOW - timedelta(minutes=20), 2),
        event("message_clicked", NOW - timedelta(days=3)),
    ]
    intent = score_customer(events, orders(1, 20, 40, 60, 80, amount=300.0), NOW, shipped_model)
    assert intent.source == "rules"  # the latest session has only 2 views
    assert intent.features["product_views_7d"] == 10 and intent.features["clicks_30d"] == 1
    assert (intent.score, intent.probability) == (100.0, 1.0)


def test_recency_and_engagement_points_step_down(shipped_model: IntentModel) -> None:
    assert score_customer([], orders(60), NOW, shipped_model).score == 10 + 15
    assert score_customer([], orders(300), NOW, shipped_model).score == 10 + 5
    assert score_customer([], orders(400), NOW, shipped_model).score == 10
    some_views = views(NOW - timedelta(days=3), 2) + views(NOW - timedelta(days=2), 2)
    assert score_customer(some_views, [], NOW, shipped_model).score == 10 + 5
    clicked = [event("message_clicked", NOW - timedelta(days=10))]
    assert score_customer(clicked, [], NOW, shipped_model).score == 10 + 5
