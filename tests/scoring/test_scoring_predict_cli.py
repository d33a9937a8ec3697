"""`scoring predict` on small real session files."""

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cli.scoring import app
from lab.scoring.session_schema import LABEL, predict_sessions
from scoring.model import IntentModel

runner = CliRunner()


@pytest.fixture
def sample(sessions: pd.DataFrame) -> pd.DataFrame:
    return sessions.sample(n=300, random_state=3).reset_index(drop=True)


def predict(tmp_path, frame: pd.DataFrame, name: str = "in.csv"):
    source, target = tmp_path / name, tmp_path / f"scores-{name}"
    frame.to_csv(source, index=False)
    result = runner.invoke(app, ["predict", "--input", str(source), "--output", str(target)])
    return result, target


def test_scores_every_row_in_order(
    tmp_path, sample: pd.DataFrame, shipped_model: IntentModel
) -> None:
    result, target = predict(tmp_path, sample)
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(target)
    assert list(scores.columns) == ["probability", "score", "segment"]
    assert len(scores) == len(sample)
    expected = predict_sessions(shipped_model, sample)
    np.testing.assert_allclose(scores["probability"], expected, atol=1e-6)
    assert scores["probability"].between(0, 1).all()
    np.testing.assert_allclose(scores["score"], np.round(expected * 100, 1), atol=1e-9)
    segment = np.where(scores["score"] < 35, "cold", np.where(scores["score"] > 70, "hot", "warm"))
    assert (scores["segment"] == segment).all()
    assert set(scores["segment"]) == {"cold", "warm", "hot"}


def test_revenue_column_is_ignored(tmp_path, sample: pd.DataFrame) -> None:
    with_label, with_target = predict(tmp_path, sample, "with.csv")
    without, without_target = predict(tmp_path, sample.drop(columns=[LABEL]), "without.csv")
    assert with_label.exit_code == 0 and without.exit_code == 0, without.output
    pd.testing.assert_frame_equal(pd.read_csv(with_target), pd.read_csv(without_target))


def test_missing_columns_are_named(tmp_path, sample: pd.DataFrame) -> None:
    result, target = predict(tmp_path, sample.drop(columns=["PageValues", "Month"]))
    assert result.exit_code == 2
    assert "missing column(s): PageValues, Month" in result.output
    assert not target.exists()


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("Month", "Foo", "expected one of Jan"),
        ("ProductRelated", -3.0, "outside [0, inf]"),
        ("BounceRates", "abc", "not a number"),
        ("VisitorType", "Robot", "expected one of New_Visitor"),
    ],
)
def test_bad_values_are_reported_with_their_row(
    tmp_path, sample: pd.DataFrame, column: str, value: object, reason: str
) -> None:
    broken = sample.astype({column: object})
    broken.loc[2, column] = value
    result, _ = predict(tmp_path, broken)
    assert result.exit_code == 2
    assert f"column {column!r}: 1 bad value(s) ({reason}" in result.output
    assert f"row 3: {value!r}" in result.output
