"""Building Temporal visibility queries from user input."""

from datetime import UTC, datetime

from journeys.registry import JOURNEYS


def literal(value: str) -> str:
    """A quoted string for a visibility query; quotes are refused rather than escaped."""
    if "'" in value or "\\" in value:
        raise ValueError(f"quotes and backslashes are not allowed here: {value!r}")
    return f"'{value}'"


def timestamp(at: datetime) -> str:
    return literal(at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


def journey_workflow_types() -> list[str]:
    """The type names of every journey the current code runs."""
    return [journey.workflow_type for journey in JOURNEYS]


def journey_types_clause() -> str:
    names = ", ".join(literal(name) for name in journey_workflow_types())
    return f"WorkflowType IN ({names})"


def started_since(since: datetime) -> str:
    return f"{journey_types_clause()} AND StartTime >= {timestamp(since)}"
