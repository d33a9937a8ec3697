"""The experiments the journeys define, by id: what the reports judge ledger rows against."""

from experiments.definitions import Experiment
from journeys.registry import JOURNEYS
from journeys.spec import Send


def registered_experiments() -> dict[str, Experiment]:
    """Every experiment of every journey: journey-wide holdouts and the tests on single sends."""
    found: dict[str, Experiment] = {}
    for journey in JOURNEYS:
        if journey.holdout is not None:
            found[journey.holdout.id] = journey.holdout
        for step in journey.steps:
            if isinstance(step, Send) and step.experiment is not None:
                found[step.experiment.id] = step.experiment
    return found


def journey_kinds() -> frozenset[str]:
    return frozenset(journey.kind for journey in JOURNEYS)
