"""Keeping a real run's history in the replay corpus (tests/histories/, tests/test_replay.py)."""

import re
from pathlib import Path

from temporalio.client import Client

from settings import REPO_ROOT

HISTORIES = REPO_ROOT / "tests" / "histories"


def default_name(workflow_id: str, run_id: str) -> str:
    """`<journey kind>_<run id prefix>`: the customer id stays out of the file name."""
    kind = workflow_id.split(":", 1)[0]
    return re.sub(r"[^A-Za-z0-9_\-]", "_", f"{kind}_{run_id[:8]}")


async def export_history(
    client: Client,
    workflow_id: str,
    *,
    run_id: str | None = None,
    name: str | None = None,
    directory: Path = HISTORIES,
    overwrite: bool = False,
) -> Path:
    """Write the run's history as JSON (Temporal's own format) and return the file.

    The corpus only grows: a history of a journey shape that may still run in production must not
    be replaced, so an existing file is kept unless `overwrite`.
    """
    history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    path = directory / f"{name or default_name(workflow_id, history.run_id)}.json"
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; choose another name (the corpus only grows)")
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(history.to_json())
    return path
