"""The worker scores with scoring.model's numpy evaluation of the booster's trees; XGBoost itself
(the [ml] extra) must agree with it on every session, missing values included."""

import numpy as np
import pandas as pd
import xgboost as xgb

from lab.scoring.session_schema import encode_sessions
from scoring.model import IntentModel
from scoring.settings import ScoringSettings, repo_path


def test_the_shipped_trees_score_every_session_as_xgboost_does(
    shipped_model: IntentModel, sessions: pd.DataFrame, settings: ScoringSettings
) -> None:
    booster = xgb.Booster(params={"nthread": 1}, model_file=str(repo_path(settings.model_path)))
    matrix = encode_sessions(sessions)
    holes = np.random.default_rng(0).uniform(size=matrix.shape) < 0.1
    with_missing = np.where(holes, np.nan, matrix).astype(np.float32)

    for rows in (matrix, with_missing):
        ours = shipped_model.predict_matrix(rows)
        theirs = booster.inplace_predict(rows)
        assert ours.shape == (len(sessions),)
        assert np.max(np.abs(ours - theirs)) < 1e-6


def test_one_session_scores_as_its_row_in_a_batch(
    shipped_model: IntentModel, sessions: pd.DataFrame
) -> None:
    matrix = encode_sessions(sessions.head(20))
    batch = shipped_model.predict_matrix(matrix)
    features = dict(zip(shipped_model.metadata["features"], matrix[7], strict=True))
    assert abs(shipped_model.predict_features(features) - batch[7]) < 1e-7
