"""Settings of the experiments package; the app nests this model in its one settings object."""

from pathlib import Path

from pydantic import BaseModel, Field


class ExperimentSettings(BaseModel):
    # Relative paths are taken from the repository root (see hillstrom.hillstrom_csv).
    data_dir: Path = Path("../shared/data")
    # Monte Carlo draws for P(best); 10,000 keeps the estimate within about ±0.01.
    probability_best_draws: int = Field(10_000, ge=100)
    # How often the worker's Temporal Schedule recounts the posteriors from the ledger.
    refresh_every_minutes: int = Field(15, ge=1)
    # Offline replay: how many seeds to average and where to read the cumulative reward.
    evaluation_seeds: int = Field(5, ge=1)
    evaluation_checkpoints: tuple[int, ...] = (1_000, 5_000, 10_000, 20_000)
    evaluation_exploration_floor: float = Field(0.1, ge=0.0, le=1.0)
