from datetime import time, timedelta

import pytest
from pydantic import ValidationError

from experiments.definitions import (
    Allocation,
    Arm,
    CopyVariant,
    Experiment,
    Metric,
    Outcome,
    SendWindow,
)
from models.channels import Channel
from scoring.segments import IntentSegment

CONVERSION_24H = Metric(outcome=Outcome.CONVERSION, window=timedelta(hours=24))


def cart_offer_experiment(**changes: object) -> Experiment:
    fields: dict[str, object] = {
        "id": "cart-stage2-offer",
        "journey": "cart_abandonment",
        "step": "stage_2",
        "arms": (
            Arm(id="free_shipping", offer_id="FREESHIP"),
            Arm(id="ten_off", offer_id="TENOFF", channel=Channel.WECHAT),
            Arm(
                id="emotional_evening",
                copy_variant=CopyVariant.EMOTIONAL,
                send_window=SendWindow(start=time(19), end=time(21)),
            ),
        ),
        "weights": {"free_shipping": 0.5, "ten_off": 0.3, "emotional_evening": 0.2},
        "segment": IntentSegment.HOT,
        "metric": CONVERSION_24H,
        "holdout_share": 0.1,
    }
    fields.update(changes)
    return Experiment.model_validate(fields)


def test_definition_survives_a_json_round_trip() -> None:
    experiment = cart_offer_experiment()
    restored = Experiment.model_validate_json(experiment.model_dump_json())
    assert restored == experiment
    assert restored.arm("ten_off").channel is Channel.WECHAT
    assert restored.metric.window == timedelta(hours=24)


def test_weights_must_sum_to_one() -> None:
    with pytest.raises(ValidationError, match="weights must sum to 1, got 0.9"):
        cart_offer_experiment(
            weights={"free_shipping": 0.5, "ten_off": 0.2, "emotional_evening": 0.2}
        )


def test_weights_must_name_every_arm() -> None:
    expected = r"missing: \['emotional_evening'\].*unknown: \['x'\]"
    with pytest.raises(ValidationError, match=expected):
        cart_offer_experiment(weights={"free_shipping": 0.5, "ten_off": 0.3, "x": 0.2})


def test_negative_weight_is_rejected() -> None:
    with pytest.raises(ValidationError, match="must not be negative: ten_off"):
        cart_offer_experiment(
            weights={"free_shipping": 1.1, "ten_off": -0.3, "emotional_evening": 0.2}
        )


@pytest.mark.parametrize("share", [-0.01, 0.5, 0.7])
def test_holdout_share_outside_zero_to_half_is_rejected(share: float) -> None:
    with pytest.raises(ValidationError, match=r"holdout_share must be in \[0, 0.5\)"):
        cart_offer_experiment(holdout_share=share)


def test_holdout_share_just_under_half_is_accepted() -> None:
    assert cart_offer_experiment(holdout_share=0.49).holdout_share == 0.49


def test_arm_ids_must_be_unique() -> None:
    with pytest.raises(ValidationError, match="arm ids must be unique, repeated: a"):
        cart_offer_experiment(arms=(Arm(id="a"), Arm(id="a"), Arm(id="b")), weights=None)


def test_bandit_needs_two_arms_and_no_weights() -> None:
    with pytest.raises(ValidationError, match="a bandit needs at least two arms"):
        cart_offer_experiment(allocation=Allocation.BANDIT, arms=(Arm(id="a"),), weights=None)
    with pytest.raises(ValidationError, match="weights apply to fixed allocation only"):
        cart_offer_experiment(allocation=Allocation.BANDIT)


def test_equal_split_when_weights_are_unset() -> None:
    weights = cart_offer_experiment(weights=None).arm_weights()
    assert list(weights) == ["free_shipping", "ten_off", "emotional_evening"]
    assert weights["ten_off"] == pytest.approx(1 / 3)


def test_empty_send_window_and_non_positive_metric_window_are_rejected() -> None:
    with pytest.raises(ValidationError, match="send window is empty"):
        SendWindow(start=time(20), end=time(20))
    with pytest.raises(ValidationError, match="metric window must be positive"):
        Metric(outcome=Outcome.CLICK, window=timedelta(0))


def test_metric_counts_only_its_outcome_within_the_window() -> None:
    assert CONVERSION_24H.is_reward(Outcome.CONVERSION, timedelta(hours=23))
    assert not CONVERSION_24H.is_reward(Outcome.CONVERSION, timedelta(hours=25))
    assert not CONVERSION_24H.is_reward(Outcome.CLICK, timedelta(hours=1))


def test_segment_scope() -> None:
    hot_only = cart_offer_experiment()
    assert hot_only.applies_to(IntentSegment.HOT)
    assert not hot_only.applies_to(IntentSegment.WARM)
    everyone = cart_offer_experiment(segment=None)
    assert all(everyone.applies_to(segment) for segment in IntentSegment)
