"""Keeping a real run's history in the replay corpus (tests/histories/, tests/test_replay.py)."""

import re
from pathlib import Path

from temporalio.api.history.v1 import History
from temporalio.client import Client, WorkflowHistory
from temporalio.converter import PayloadCodec

from encryption.payloads import decode_message
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
    """Write the run's history as JSON (Temporal's own format) and return the file, its
    payloads decoded: the corpus replays in CI, which has none of production's keys.

    The corpus only grows: a history of a journey shape that may still run in production must not
    be replaced, so an existing file is kept unless `overwrite`.
    """
    history = await decoded_history(client, workflow_id, run_id)
    path = directory / f"{name or default_name(workflow_id, history.run_id)}.json"
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; choose another name (the corpus only grows)")
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(history.to_json())
    return path


async def decoded_history(
    client: Client, workflow_id: str, run_id: str | None = None
) -> WorkflowHistory:
    """A run's history with every payload decoded by the client's codec (if it has one)."""
    history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    return await decode_history(history, client.data_converter.payload_codec)


async def decode_history(history: WorkflowHistory, codec: PayloadCodec | None) -> WorkflowHistory:
    if codec is None:
        return history
    proto = History(events=history.events)
    await decode_message(proto, codec)
    return WorkflowHistory(history.workflow_id, list(proto.events))
