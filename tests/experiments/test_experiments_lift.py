import numpy as np
import pytest

from experiments.lift import lift


@pytest.mark.parametrize(
    ("counts", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10.
        ((56, 70, 48, 80), 0.0524, 0.3339),
        ((9, 10, 3, 10), 0.1705, 0.8090),
        ((5, 56, 0, 29), -0.0381, 0.1926),
    ],
)
def test_interval_matches_newcombes_published_examples(
    counts: tuple[int, int, int, int], low: float, high: float
) -> None:
    result = lift(*counts)
    assert result.low == pytest.approx(low, abs=5e-5)
    assert result.high == pytest.approx(high, abs=5e-5)


def test_interval_covers_a_known_difference_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(2024)
    treated_rate, holdout_rate, n, repeats = 0.12, 0.08, 1_500, 2_000
    treated = rng.binomial(n, treated_rate, repeats)
    holdout = rng.binomial(n, holdout_rate, repeats)
    true_difference = treated_rate - holdout_rate
    covered = 0
    for t, h in zip(treated.tolist(), holdout.tolist(), strict=True):
        result = lift(t, n, h, n)
        covered += result.low <= true_difference <= result.high
    # Binomial sd of the coverage over 2,000 repeats is about 0.005.
    assert 0.93 < covered / repeats < 0.97


def test_point_estimates_and_relative_lift() -> None:
    result = lift(150, 1_000, 100, 1_000)
    assert result.difference == pytest.approx(0.05)
    assert result.relative == pytest.approx(0.5)
    assert result.low < 0.05 < result.high
    assert lift(3, 100, 0, 100).relative is None


def test_higher_confidence_gives_a_wider_interval() -> None:
    narrow = lift(150, 1_000, 100, 1_000, confidence=0.9)
    wide = lift(150, 1_000, 100, 1_000, confidence=0.99)
    assert wide.low < narrow.low and wide.high > narrow.high


def test_bad_counts_are_rejected() -> None:
    with pytest.raises(ValueError, match="holdout group is empty"):
        lift(1, 10, 0, 0)
    with pytest.raises(ValueError, match=r"treated conversions must be in \[0, 10\]"):
        lift(11, 10, 0, 10)
    with pytest.raises(ValueError, match="confidence must be in"):
        lift(1, 10, 1, 10, confidence=1.0)
