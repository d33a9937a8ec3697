"""How long after a message a paid order still counts as its conversion."""

from collections.abc import Mapping
from datetime import timedelta

from experiments.definitions import Experiment, Outcome


def conversion_window(
    experiment_id: str | None, experiments: Mapping[str, Experiment], default: timedelta
) -> timedelta:
    """The experiment's own window when it is judged by conversion, `default` otherwise."""
    experiment = experiments.get(experiment_id) if experiment_id else None
    if experiment is not None and experiment.metric.outcome is Outcome.CONVERSION:
        return experiment.metric.window
    return default


def describe(window: timedelta) -> str:
    """'30 days', '24 h', '90 min': the largest unit the window is a whole number of."""
    if window % timedelta(days=1) == timedelta(0) and window >= timedelta(days=2):
        return f"{window // timedelta(days=1)} days"
    if window % timedelta(hours=1) == timedelta(0):
        return f"{window // timedelta(hours=1)} h"
    return f"{window / timedelta(minutes=1):g} min"
