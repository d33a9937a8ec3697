from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.experiments import app
from experiments.settings import ExperimentSettings
from lab.experiments.evaluation import BEST_IN_HINDSIGHT, EQUAL_SPLIT, THOMPSON, evaluate_offline
from lab.experiments.hillstrom import hillstrom_csv, load_hillstrom

SUBSAMPLE = 12_000


@pytest.fixture(scope="module")
def data_path() -> Path:
    return hillstrom_csv(ExperimentSettings().data_dir)


def test_default_data_path_points_at_the_shared_hillstrom_file(data_path: Path) -> None:
    assert data_path.name == "hillstrom.csv" and data_path.is_file()


def test_replay_on_a_subsample(data_path: Path) -> None:
    logged = load_hillstrom(data_path, sample=SUBSAMPLE, seed=7)
    assert len(logged) == SUBSAMPLE
    result = evaluate_offline(logged, seeds=[0, 1], checkpoints=[500, 3_500], exploration_floor=0.1)

    visit_lifts = {item.arm: item.lift for item in result.lifts if item.reward == "visit"}
    assert set(visit_lifts) == {"mens_email", "womens_email"}
    for arm, measured in visit_lifts.items():
        assert measured.low > 0, (arm, measured)

    # Rejection sampling keeps about one row in three for a policy over three uniform arms.
    equal = result.curve("visit", EQUAL_SPLIT)
    assert equal.trials == pytest.approx(SUBSAMPLE / 3, rel=0.05)

    thompson = result.curve("visit", THOMPSON).cumulative[3_500]
    best = result.curve("visit", BEST_IN_HINDSIGHT).cumulative[3_500]
    assert thompson is not None and best is not None and equal.cumulative[3_500] is not None
    assert equal.cumulative[3_500] < thompson <= best * 1.02
    assert result.curve("visit", THOMPSON).arm_share[result.best_arm["visit"]] > 0.5


def test_evaluate_command_prints_curves_and_lifts(data_path: Path) -> None:
    outcome = CliRunner().invoke(
        app, ["evaluate", "--data", str(data_path), "--rows", "6000", "--seeds", "1", "--seed", "3"]
    )
    assert outcome.exit_code == 0, outcome.output
    output = outcome.output
    assert "loaded 6,000 rows" in output
    assert "seed 3 (1/1) replayed" in output
    for label in ("thompson bandit", "fixed equal split", "best arm in hindsight"):
        assert output.count(label) == 2
    assert "lift vs no_email" in output
    assert output.count("diff +") >= 2


def test_evaluate_takes_its_defaults_from_the_environment(
    data_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # EXPERIMENTS__EVALUATION_SEEDS is the command's --seeds when the option is not given.
    monkeypatch.setenv("EXPERIMENTS__EVALUATION_SEEDS", "1")
    outcome = CliRunner().invoke(
        app, ["evaluate", "--data", str(data_path), "--rows", "3000", "--seed", "4"]
    )
    assert outcome.exit_code == 0, outcome.output
    assert "replaying 1 seed(s) from 4" in outcome.output
