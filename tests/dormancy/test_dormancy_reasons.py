from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from dormancy.assessment import assess_dormancy, probability_still_active
from dormancy.labels import DormancyReason, DormancyTier
from dormancy.reasons import classify_reason
from dormancy.settings import DormancySettings
from dormancy.summary import ActivitySummary

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SETTINGS = DormancySettings()


def summary(**signals: object) -> ActivitySummary:
    return ActivitySummary(customer_id="c-1", last_activity_at=NOW - timedelta(days=75), **signals)


def test_coupon_user_who_hunts_sales_is_price_sensitive() -> None:
    result = classify_reason(
        summary(orders=4, coupon_orders=3, price_filter_uses=6, sale_page_views=12), SETTINGS
    )
    assert result.reason is DormancyReason.PRICE
    assert result.evidence
    assert result.scores[DormancyReason.PRICE] == pytest.approx(0.8)


def test_expensive_abandoned_carts_count_from_the_threshold() -> None:
    below = classify_reason(summary(abandoned_cart_values_cny=(199.99, 150.0)), SETTINGS)
    at = classify_reason(summary(abandoned_cart_values_cny=(200.0, 350.0)), SETTINGS)
    assert below.scores[DormancyReason.PRICE] == 0
    assert at.scores[DormancyReason.PRICE] == pytest.approx(0.2)
    assert at.reason is DormancyReason.PRICE


def test_out_of_stock_and_deep_browsing_is_category() -> None:
    result = classify_reason(
        summary(out_of_stock_hits=4, category_page_views=40, distinct_categories_viewed=2),
        SETTINGS,
    )
    assert result.reason is DormancyReason.CATEGORY
    assert result.scores[DormancyReason.CATEGORY] == pytest.approx(1.0)


def test_wide_shallow_browsing_is_not_category_depth() -> None:
    result = classify_reason(
        summary(category_page_views=40, distinct_categories_viewed=20), SETTINGS
    )
    assert result.scores[DormancyReason.CATEGORY] == pytest.approx(0.5 * 2 / 15, abs=1e-6)


def test_a_complaint_outweighs_mild_price_signals() -> None:
    result = classify_reason(
        summary(support_tickets=1, negative_sentiment_events=1, price_filter_uses=5), SETTINGS
    )
    assert result.reason is DormancyReason.SERVICE
    assert result.scores[DormancyReason.SERVICE] == pytest.approx(0.75)
    assert result.scores[DormancyReason.PRICE] == pytest.approx(0.25)


def test_equal_scores_go_to_service_then_price() -> None:
    price_and_category = summary(
        price_filter_uses=10,
        sale_page_views=10,
        category_page_views=27,
        distinct_categories_viewed=2,
    )
    result = classify_reason(price_and_category, SETTINGS)
    assert result.scores[DormancyReason.PRICE] == result.scores[DormancyReason.CATEGORY] == 0.45
    assert result.reason is DormancyReason.PRICE

    price_and_service = summary(
        orders=2, coupon_orders=1, price_filter_uses=3, negative_sentiment_events=1
    )
    result = classify_reason(price_and_service, SETTINGS)
    assert result.scores[DormancyReason.PRICE] == result.scores[DormancyReason.SERVICE] == 0.5
    assert result.reason is DormancyReason.SERVICE


def test_too_little_evidence_falls_back_to_the_default_reason() -> None:
    result = classify_reason(summary(sale_page_views=5), SETTINGS)
    assert result.scores[DormancyReason.PRICE] == pytest.approx(0.1)
    assert result.reason is DormancyReason.CATEGORY
    assert not result.evidence


def test_inconsistent_summaries_are_rejected() -> None:
    with pytest.raises(ValidationError, match="coupon_orders"):
        summary(orders=1, coupon_orders=2)
    with pytest.raises(ValidationError, match="go together"):
        summary(first_order_at=NOW - timedelta(days=200))
    with pytest.raises(ValidationError, match="timezone"):
        ActivitySummary(customer_id="c-1", last_activity_at=datetime(2026, 1, 1))


def test_assessment_combines_tier_and_reason_and_the_offer_reads_still_active() -> None:
    regular = summary(
        first_order_at=NOW - timedelta(days=400),
        last_order_at=NOW - timedelta(days=80),
        order_days=6,
        orders=6,
        coupon_orders=4,
    )
    result = assess_dormancy(regular, NOW, SETTINGS)
    assert result.tier is DormancyTier.MEDIUM
    assert result.days_inactive == 75
    assert result.reason is DormancyReason.PRICE
    assert assess_dormancy(regular, NOW, SETTINGS) == result
    # What the winback offer's expected value weighs its uplift by (sending/winback_offer.py).
    active = probability_still_active(regular, NOW, SETTINGS)
    assert active is not None and 0 < active < 1
    assert probability_still_active(summary(), NOW, SETTINGS) is None  # never ordered


def test_a_customer_who_still_browses_without_ordering_is_in_the_light_tier() -> None:
    browsing = ActivitySummary(
        customer_id="c-1",
        last_activity_at=NOW - timedelta(days=1),
        first_order_at=NOW - timedelta(days=200),
        last_order_at=NOW - timedelta(days=40),
        order_days=2,
        orders=2,
    )
    assert assess_dormancy(browsing, NOW, SETTINGS).tier is DormancyTier.LIGHT
    # Days without an order past the light tier's: the deeper tier, as the daily scan says.
    long_ago = browsing.model_copy(update={"last_order_at": NOW - timedelta(days=130)})
    assert assess_dormancy(long_ago, NOW, SETTINGS).tier is DormancyTier.HEAVY
    # A recent order: active, whatever the browsing.
    recent = browsing.model_copy(update={"last_order_at": NOW - timedelta(days=3)})
    assert assess_dormancy(recent, NOW, SETTINGS).tier is DormancyTier.ACTIVE
