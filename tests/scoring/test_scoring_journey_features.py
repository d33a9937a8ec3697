"""From a customer's events and orders to the model's features, and the blended score."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from lab.scoring.session_schema import encode_sessions, predict_sessions
from models.behaviour import OrderSummary
from scoring.features import FEATURES
from scoring.intent import score_customer
from scoring.journey_features import (
    FLAGGED_RATE,
    cart_depth,
    rfm_from_orders,
    session_features,
    split_sessions,
)
from scoring.model import IntentModel
from scoring.settings import ScoringSettings
from tests.scoring.builders import event, events_from_row, views

UTC_ZONE = ZoneInfo("UTC")
GAP = timedelta(minutes=30)
T0 = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)  # a Tuesday


def rebuildable(sessions: pd.DataFrame) -> pd.DataFrame:
    """Real rows an event stream can express: known visitor, no missing values, 3+ views,
    and no seconds on a page type without views."""
    views_total = sessions[["Administrative", "Informational", "ProductRelated"]].sum(axis=1)
    ok = (sessions["VisitorType"] != "Other") & sessions.notna().all(axis=1) & (views_total >= 3)
    for column in ("Administrative", "Informational", "ProductRelated"):
        ok &= (sessions[column] > 0) | (sessions[f"{column}_Duration"] == 0)
    return sessions[ok]


def test_events_rebuilt_from_real_rows_give_those_rows_features_and_probability(
    sessions: pd.DataFrame, shipped_model: IntentModel
) -> None:
    rows = rebuildable(sessions).sample(n=60, random_state=11)
    expected_features = encode_sessions(rows)
    expected = predict_sessions(shipped_model, rows)
    for position, (_, row) in enumerate(rows.iterrows()):
        events = events_from_row(row)
        now = events[-1].occurred_at + timedelta(minutes=5)
        latest = split_sessions(events, GAP)[-1]
        returning = row["VisitorType"] == "Returning_Visitor"
        features = session_features(latest, returning, UTC_ZONE)
        got = np.array([features[name] for name in FEATURES], dtype=np.float32)
        np.testing.assert_allclose(got, expected_features[position], rtol=1e-5, atol=1e-4)
        intent = score_customer(events, [], now, shipped_model)
        assert intent.source == "model"
        assert intent.probability == pytest.approx(expected[position], abs=1e-6)


def test_durations_fall_back_to_the_gap_to_the_next_event() -> None:
    session = [
        event("page_viewed", T0, page_type="administrative"),
        event("product_viewed", T0 + timedelta(seconds=40)),
        event("product_viewed", T0 + timedelta(seconds=100), duration_seconds=15),
        event("page_viewed", T0 + timedelta(seconds=400), page_type="help-centre"),
        event("session_ended", T0 + timedelta(seconds=430)),
    ]
    features = session_features(session, returning=False, timezone=UTC_ZONE)
    assert features["Administrative"] == 1 and features["Administrative_Duration"] == 40
    assert features["ProductRelated"] == 2 and features["ProductRelated_Duration"] == 60 + 15
    # An unknown page type counts as informational; its time runs to the session's end.
    assert features["Informational"] == 1 and features["Informational_Duration"] == 30
    assert features["PageValues"] == 0 and features["VisitorType"] == 0
    assert features["Month"] == 3 and features["Weekend"] == 0


def test_flags_stand_in_for_missing_catalog_rates() -> None:
    session = [
        event("product_viewed", T0, bounce_rate=0.05, exit_rate=0.1, page_value=30.0),
        event("product_viewed", T0 + timedelta(minutes=1)),
        event("product_viewed", T0 + timedelta(minutes=2), exit=True),
    ]
    features = session_features(session, returning=True, timezone=UTC_ZONE)
    assert features["BounceRates"] == pytest.approx(0.05 / 3)
    assert features["ExitRates"] == pytest.approx((0.1 + FLAGGED_RATE) / 3)
    assert features["PageValues"] == pytest.approx(10.0)
    assert features["VisitorType"] == 2
    bounced = session_features([event("page_viewed", T0, bounce=True, exit=True)], False, UTC_ZONE)
    assert bounced["BounceRates"] == FLAGGED_RATE == bounced["ExitRates"]


def test_month_and_weekend_follow_the_customer_time_zone() -> None:
    late_sunday_utc = datetime(2025, 8, 31, 20, 0, tzinfo=UTC)  # Monday 1 Sep in Shanghai
    session = [event("product_viewed", late_sunday_utc)]
    assert session_features(session, False, UTC_ZONE)["Weekend"] == 1
    local = session_features(session, False, ZoneInfo("Asia/Shanghai"))
    assert local["Weekend"] == 0 and local["Month"] == 9


def test_sessions_split_on_silence_end_markers_and_session_ids() -> None:
    events = [
        *views(T0, 3),
        *views(T0 + timedelta(hours=2), 2),  # after 30 minutes of silence
        event("session_ended", T0 + timedelta(hours=2, minutes=2)),
        event("page_viewed", T0 + timedelta(hours=2, minutes=3), session_id="b"),
        event("page_viewed", T0 + timedelta(hours=2, minutes=4), session_id="c"),
        event("page_viewed", T0 + timedelta(hours=3), session_id="c"),  # same id, long pause
        event("cart_updated", T0 + timedelta(hours=3, minutes=1), item_count=1),
    ]
    sizes = [len(session) for session in split_sessions(events, GAP)]
    assert sizes == [3, 3, 1, 2]


def test_only_the_latest_session_and_past_events_count(shipped_model: IntentModel) -> None:
    old = views(T0 - timedelta(days=1), 40)
    latest = views(T0, 4)
    future = views(T0 + timedelta(hours=1), 30)
    now = T0 + timedelta(minutes=10)
    intent = score_customer(old + latest + future, [], now, shipped_model)
    assert intent.features["ProductRelated"] == 4
    assert intent.features["VisitorType"] == 2  # the earlier session makes them returning
    assert intent == score_customer(old + latest, [], now, shipped_model)


def test_rfm_from_orders() -> None:
    now = T0
    orders = [
        OrderSummary(paid_at=now - timedelta(days=40), amount=120.0),
        OrderSummary(paid_at=now - timedelta(days=10, hours=12), amount=80.5),
        OrderSummary(paid_at=now + timedelta(days=1), amount=999.0),  # not yet: ignored
    ]
    rfm = rfm_from_orders(orders, now)
    assert rfm.recency_days == pytest.approx(10.5)
    assert rfm.frequency == 2 and rfm.monetary == pytest.approx(200.5)
    assert rfm_from_orders([], now).recency_days is None


def test_cart_depth_counts_quantities_until_an_order_is_paid() -> None:
    items = [{"sku": "a", "quantity": 2}, {"sku": "b", "quantity": 1}]
    cart = [
        event("cart_updated", T0, item_count=5),
        event("cart_updated", T0 + timedelta(minutes=5), items=items),
    ]
    assert cart_depth(cart, []) == 3
    assert cart_depth([*cart, event("order_paid", T0 + timedelta(minutes=9))], []) == 0
    paid = OrderSummary(paid_at=T0 + timedelta(minutes=9), amount=10.0)
    assert cart_depth(cart, [paid]) == 0
    assert cart_depth(cart[:1], []) == 5


def test_orders_and_cart_are_blended_as_a_noisy_or(shipped_model: IntentModel) -> None:
    settings = ScoringSettings()
    session = views(T0, 5)
    cart = event("cart_updated", T0 + timedelta(minutes=6), item_count=3)
    orders = [OrderSummary(paid_at=T0 - timedelta(days=d), amount=50.0) for d in (7, 60, 90)]
    now = T0 + timedelta(minutes=10)
    alone = score_customer(session, [], now, shipped_model)
    blended = score_customer([*session, cart], orders, now, shipped_model)
    assert blended.source == alone.source == "model"
    p_session = blended.features["p_session"]
    assert p_session is not None
    recency_days = 7 + 10 / (24 * 60)
    habit = 0.5 ** (recency_days / settings.recency_half_life_days) * (1 - 0.5**3)
    assert blended.features["p_order_habit"] == pytest.approx(settings.rfm_weight * habit)
    assert blended.features["p_cart"] == pytest.approx(settings.cart_weight)
    expected = 1 - (1 - p_session) * (1 - settings.rfm_weight * habit) * (1 - settings.cart_weight)
    assert blended.probability == pytest.approx(expected)
    assert blended.probability > alone.probability
    assert blended.score == round(blended.probability * 100, 1)
