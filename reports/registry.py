"""The experiments the journeys define, by id: what the reports judge ledger rows against."""

from experiments.definitions import Experiment
from journeys.registry import JOURNEYS


def registered_experiments() -> dict[str, Experiment]:
    """Every experiment of every journey (today: the journeys' holdout experiments)."""
    return {
        journey.holdout.id: journey.holdout for journey in JOURNEYS if journey.holdout is not None
    }


def journey_kinds() -> frozenset[str]:
    return frozenset(journey.kind for journey in JOURNEYS)
