import math
import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from experiments.assignment import assign, bucket
from experiments.definitions import Allocation, Arm, Experiment, Metric, Outcome

REPO_ROOT = Path(__file__).resolve().parents[2]
CLICK_48H = Metric(outcome=Outcome.CLICK, window=timedelta(hours=48))
WEIGHTS = {"rational": 0.5, "emotional": 0.3, "template": 0.2}


def copy_tone_experiment(
    holdout_share: float = 0.1, experiment_id: str = "welcome-copy-tone"
) -> Experiment:
    return Experiment(
        id=experiment_id,
        journey="welcome",
        step="day_1_email",
        arms=tuple(Arm(id=arm_id) for arm_id in WEIGHTS),
        weights=WEIGHTS,
        metric=CLICK_48H,
        holdout_share=holdout_share,
    )


def test_bucket_of_a_known_id_is_fixed() -> None:
    # sha256("welcome-copy-tone\x1fcustomer-42"), first 53 bits, checked with sha256sum.
    assert bucket("welcome-copy-tone", "customer-42") == 0.3662186252940649
    assignment = assign(copy_tone_experiment(), "customer-42")
    # (0.3662 - 0.1) / 0.9 = 0.296 falls in the first weight band [0, 0.5).
    assert assignment.arm_id == "rational" and not assignment.in_holdout


def test_assignment_is_stable_across_calls() -> None:
    experiment = copy_tone_experiment()
    first = [assign(experiment, f"c{i}") for i in range(200)]
    assert [assign(experiment, f"c{i}") for i in range(200)] == first


def test_assignment_is_the_same_in_another_process() -> None:
    ids = [f"customer-{i}" for i in range(50)]
    script = (
        "from experiments.assignment import bucket\n"
        f"print(','.join(repr(bucket('welcome-copy-tone', c)) for c in {ids!r}))"
    )
    # A different hash seed proves nothing depends on Python's per-process salted hash().
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    output = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert [float(x) for x in output.split(",")] == [bucket("welcome-copy-tone", c) for c in ids]


def test_distribution_follows_weights_and_holdout_over_20000_ids() -> None:
    experiment = copy_tone_experiment(holdout_share=0.1)
    n = 20_000
    counts = Counter(
        "holdout" if a.in_holdout else a.arm_id
        for a in (assign(experiment, f"user-{i}") for i in range(n))
    )
    expected = {"holdout": 0.1, **{arm: 0.9 * w for arm, w in WEIGHTS.items()}}
    for group, share in expected.items():
        sigma = math.sqrt(n * share * (1 - share))
        assert abs(counts[group] - n * share) < 4 * sigma, (group, counts[group], n * share)


def test_holdout_customers_get_no_arm() -> None:
    experiment = copy_tone_experiment(holdout_share=0.15)
    held = [a for a in (assign(experiment, f"u{i}") for i in range(2_000)) if a.in_holdout]
    assert held and all(a.arm_id is None and a.bucket < 0.15 for a in held)


def test_experiments_split_customers_independently() -> None:
    first = copy_tone_experiment(holdout_share=0.2, experiment_id="exp-a")
    second = copy_tone_experiment(holdout_share=0.2, experiment_id="exp-b")
    n = 20_000
    both = sum(
        assign(first, f"u{i}").in_holdout and assign(second, f"u{i}").in_holdout for i in range(n)
    )
    # Independent hashes: about 0.2 * 0.2 of customers are held out of both, not 0.2.
    assert abs(both / n - 0.04) < 0.006


def test_zero_weight_arm_is_never_assigned() -> None:
    experiment = Experiment(
        id="paused-arm",
        journey="winback",
        step="light_1",
        arms=(Arm(id="a"), Arm(id="b"), Arm(id="c")),
        weights={"a": 0.5, "b": 0.0, "c": 0.5},
        metric=CLICK_48H,
    )
    arms = {assign(experiment, f"u{i}").arm_id for i in range(5_000)}
    assert arms == {"a", "c"}


def test_bandit_leaves_the_arm_to_the_sampler_and_a_winner_takes_the_treated() -> None:
    experiment = Experiment(
        id="hot-offer-bandit",
        journey="cart_abandonment",
        step="stage_3",
        arms=(Arm(id="a"), Arm(id="b")),
        allocation=Allocation.BANDIT,
        metric=CLICK_48H,
        holdout_share=0.1,
    )
    plain = [assign(experiment, f"u{i}") for i in range(1_000)]
    assert {a.arm_id for a in plain if not a.in_holdout} == {None}
    promoted = [assign(experiment, f"u{i}", winner="b") for i in range(1_000)]
    assert {a.arm_id for a in promoted if not a.in_holdout} == {"b"}
    assert [a.in_holdout for a in promoted] == [a.in_holdout for a in plain]
    with pytest.raises(KeyError, match="no arm 'z'"):
        assign(experiment, "u1", winner="z")
