"""The shipped intent model and the real session data, loaded once for the scoring tests."""

import pandas as pd
import pytest

from scoring.model import IntentModel
from scoring.settings import ScoringSettings, repo_path


@pytest.fixture(scope="session")
def settings() -> ScoringSettings:
    return ScoringSettings()


@pytest.fixture(scope="session")
def shipped_model(settings: ScoringSettings) -> IntentModel:
    return IntentModel.load(repo_path(settings.model_path))


@pytest.fixture(scope="session")
def sessions(settings: ScoringSettings) -> pd.DataFrame:
    """The real UCI sessions (read-only: copy before changing)."""
    return pd.read_csv(repo_path(settings.data_path))
