"""Settings of the experiments package; the app nests this model in its one settings object."""

from pathlib import Path

from pydantic import BaseModel, Field


class ExperimentSettings(BaseModel):
    data_dir: Path = Field(
        Path("../shared/data"),
        description="where `journeyctl experiments evaluate` finds hillstrom.csv (relative: to "
        "the repository root); the command's default for --data",
    )
    probability_best_draws: int = Field(
        10_000,
        ge=100,
        description="Monte Carlo draws for each arm's probability of being best, in the "
        "experiment refresh and the reports; 10,000 keeps the estimate within about ±0.01",
    )
    refresh_every_minutes: int = Field(
        15,
        ge=1,
        description="minutes between runs of the worker's Temporal Schedule that recounts the "
        "experiments' posteriors from the ledger and promotes winners; taken when the schedule "
        "is created, an existing schedule keeps its interval",
    )
    evaluation_seeds: int = Field(
        5,
        ge=1,
        description="seeds `journeyctl experiments evaluate` averages its offline replay over; "
        "the command's default for --seeds",
    )
    evaluation_checkpoints: tuple[int, ...] = Field(
        (1_000, 5_000, 10_000, 20_000),
        description="accepted rows at which the offline replay reports each policy's "
        "cumulative reward",
    )
    evaluation_exploration_floor: float = Field(
        0.1,
        ge=0.0,
        le=1.0,
        description="share of traffic the replayed Thompson bandit spreads over all arms "
        "(each keeps at least floor / arms); the command's default for --floor",
    )
