"""The lab's scoring of a ranker: per-customer outcomes and how far a ratio could move."""

import numpy as np
import pandas as pd
import pytest

from lab.recommendations.evaluation import Split, metrics, outcomes, ratio_interval


def split() -> Split:
    # Two customers with new products in the test; a third bought nothing new.
    return Split(
        histories={"a": [], "b": [], "c": []},
        bought={"a": {"p0"}, "b": set(), "c": set()},
        targets={"a": {"p3", "p7"}, "b": {"p1"}},
        train=pd.DataFrame(),
    )


def test_outcomes_score_each_customers_top_k() -> None:
    tops = {"a": [f"p{i}" for i in range(1, 11)], "b": ["x", "y", "z", "w", "v", "p1"]}
    scored = outcomes(split(), lambda customer, _history, _bought: tops[customer])

    assert scored.hit5.tolist() == [1.0, 0.0]  # a's p3 is 3rd; b's p1 is 6th
    assert scored.hit10.tolist() == [1.0, 1.0]
    assert scored.precision.tolist() == [0.2, 0.1]
    assert scored.ndcg[1] == pytest.approx(1 / np.log2(7))  # one new product, found 6th
    assert metrics(split(), lambda customer, _h, _b: tops[customer]) == {
        "customers": 2,
        "hit_rate_at_5": 0.5,
        "hit_rate_at_10": 1.0,
        "precision_at_10": pytest.approx(0.15),
        "ndcg_at_10": pytest.approx(scored.ndcg.mean()),
        "items_shown": 15,
    }


def test_a_ratio_interval_brackets_the_ratio_and_narrows_with_more_customers() -> None:
    rng = np.random.default_rng(1)
    model = (rng.random(300) < 0.6).astype(float)
    baseline = (rng.random(300) < 0.3).astype(float)
    ratio = model.mean() / baseline.mean()

    low, high = ratio_interval(model, baseline)
    wide = high - low
    more_low, more_high = ratio_interval(np.tile(model, 4), np.tile(baseline, 4))

    assert low < ratio < high
    assert more_low < ratio < more_high
    assert (more_high - more_low) < 0.6 * wide  # four times the customers: about half as wide
    assert ratio_interval(model, model) == (1.0, 1.0)  # the same ranker: no doubt at all
    assert ratio_interval(model, baseline) == (low, high)  # seeded: every run prints the same
