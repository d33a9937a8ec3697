"""Scores and the cold / warm / hot boundaries."""

import numpy as np
import pytest

from scoring.segments import (
    IntentSegment,
    score_from_probability,
    scores_and_segments,
    segment_for_score,
)


@pytest.mark.parametrize(
    ("score", "segment"),
    [
        (0.0, IntentSegment.COLD),
        (34.9, IntentSegment.COLD),
        (35.0, IntentSegment.WARM),
        (70.0, IntentSegment.WARM),
        (70.1, IntentSegment.HOT),
        (100.0, IntentSegment.HOT),
    ],
)
def test_segment_boundaries(score: float, segment: IntentSegment) -> None:
    assert segment_for_score(score) is segment


def test_segment_is_read_from_the_rounded_score() -> None:
    assert score_from_probability(0.34951) == 35.0
    assert segment_for_score(score_from_probability(0.34951)) is IntentSegment.WARM
    assert score_from_probability(0.7004) == 70.0
    assert segment_for_score(score_from_probability(0.7004)) is IntentSegment.WARM


def test_batch_and_single_scores_agree() -> None:
    probabilities = np.random.default_rng(5).random(2_000)
    scores, segments = scores_and_segments(probabilities.astype(np.float32))
    for p, score, segment in zip(probabilities.astype(np.float32), scores, segments, strict=True):
        assert score == score_from_probability(float(p))
        assert segment == segment_for_score(score)
