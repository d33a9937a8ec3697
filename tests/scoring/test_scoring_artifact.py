"""The shipped model artifact, and the training command on a small real subset."""

import hashlib
import json

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

from cli.scoring import app
from lab.scoring.session_schema import LABEL, predict_sessions
from lab.scoring.training import holdout_split
from scoring.features import FEATURES
from scoring.model import IntentModel, metadata_path
from scoring.settings import ScoringSettings, repo_path

runner = CliRunner()


def test_shipped_artifact_is_small_and_describes_itself(
    shipped_model: IntentModel, settings: ScoringSettings
) -> None:
    path = repo_path(settings.model_path)
    assert path.stat().st_size < 400 * 1024
    meta = shipped_model.metadata
    assert meta["version"] == "intent-v1"
    assert tuple(meta["features"]) == FEATURES
    assert meta["categorical_encodings"]["VisitorType"]["Returning_Visitor"] == 2
    assert (
        meta["training_data"]["sha256"]
        == hashlib.sha256(repo_path(settings.data_path).read_bytes()).hexdigest()
    )
    cv = meta["metrics"]["cross_validation"]
    assert len(cv["reliability"]) == 10 and 0 < cv["threshold"] < 1


def test_shipped_model_ranks_held_out_sessions_well(
    shipped_model: IntentModel, sessions: pd.DataFrame
) -> None:
    split = shipped_model.metadata["training_data"]
    labels = sessions[LABEL].to_numpy(dtype=int)
    _, holdout = holdout_split(labels, split["holdout_fraction"], split["split_seed"])
    assert len(holdout) == split["holdout_rows"]
    probabilities = predict_sessions(shipped_model, sessions.iloc[holdout])
    assert roc_auc_score(labels[holdout], probabilities) > 0.85


def test_train_writes_a_loadable_versioned_artifact(sessions: pd.DataFrame, tmp_path) -> None:
    subset = sessions.groupby(LABEL, group_keys=False).sample(frac=0.2, random_state=1)
    data = tmp_path / "subset.csv"
    subset.to_csv(data, index=False)
    out = tmp_path / "artifacts"
    result = runner.invoke(
        app,
        ["train", "--data", str(data), "--output-dir", str(out), "--version", "intent-t1"]
        + ["--folds", "3", "--rounds", "40"],
    )
    assert result.exit_code == 0, result.output
    assert "3-fold CV  AUC" in result.output and "Brier" in result.output
    model = IntentModel.load(out / "intent-t1.json")
    meta = json.loads(metadata_path(out / "intent-t1.json").read_text())
    assert meta["training_data"]["rows"] == len(subset)
    assert meta["metrics"]["cross_validation"]["auc"] > 0.8
    assert predict_sessions(model, subset.head(5)).shape == (5,)


def test_train_names_a_missing_label(sessions: pd.DataFrame, tmp_path) -> None:
    data = tmp_path / "unlabelled.csv"
    sessions.head(50).drop(columns=[LABEL]).to_csv(data, index=False)
    result = runner.invoke(app, ["train", "--data", str(data), "--output-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "missing column(s): Revenue" in result.output


def test_a_damaged_model_stops_the_worker_at_load_not_at_the_first_score(
    settings: ScoringSettings, tmp_path
) -> None:
    # The trees become arrays only at the first prediction; loading still refuses a damaged file.
    source = repo_path(settings.model_path)
    booster = json.loads(source.read_text())
    tree = booster["learner"]["gradient_booster"]["model"]["trees"][3]
    tree["split_conditions"] = tree["split_conditions"][:-1]
    path = tmp_path / "intent-v1.json"
    path.write_text(json.dumps(booster))
    metadata_path(path).write_text(metadata_path(source).read_text())
    with pytest.raises(ValueError, match="tree 3"):
        IntentModel.load(path)
    assert IntentModel.load(source).predict_features(dict.fromkeys(FEATURES, 0.0)) >= 0
