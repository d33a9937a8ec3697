"""The scheduled retraining: the lab trainer in a subprocess (pandas and scipy stay out of the
worker), then the new version loaded and switched to atomically, as `journeyctl recommendations
load` does. The version it replaces stays for a rollback (`journeyctl recommendations activate`).
"""

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recommendations.model import load_model
from recommendations.settings import RecommendationSettings
from recommendations.tables import load_model_tables

REPO = Path(__file__).resolve().parents[1]


class RetrainError(RuntimeError):
    """The trainer failed; the message carries the end of its output. The active version stays."""


@dataclass(frozen=True)
class Retrained:
    version: str
    switched: bool  # False: that version was active already
    rows: int


def trainer_command(settings: RecommendationSettings, version: str, workdir: Path) -> list[str]:
    data = settings.retrain_data
    return [
        settings.retrain_python or sys.executable,
        "-m",
        "lab.recommendations",
        "train",
        "--data",
        str(data if data.is_absolute() else REPO / data),
        "--version",
        version,
        "--output",
        str(workdir / f"{version}.json.gz"),
        # The demo catalogue the trainer writes too goes to the scratch directory, not the code.
        "--catalogue",
        str(workdir / f"{version}-catalogue.csv"),
    ]


async def retrain(
    sessions: async_sessionmaker[AsyncSession],
    settings: RecommendationSettings,
    version: str,
    workdir: Path,
    now: datetime,
    alive: Callable[[], Awaitable[None]] | None = None,
) -> Retrained:
    """Train `version` and make it the active one. `alive` is called every few seconds while
    the trainer runs (the activity's heartbeat)."""
    workdir.mkdir(parents=True, exist_ok=True)
    process = await asyncio.create_subprocess_exec(
        *trainer_command(settings, version, workdir),
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output = asyncio.ensure_future(process.communicate())
    deadline = asyncio.get_running_loop().time() + settings.retrain_timeout_minutes * 60
    try:
        while not output.done():
            if asyncio.get_running_loop().time() > deadline:
                raise RetrainError(f"the trainer ran over {settings.retrain_timeout_minutes} min")
            if alive is not None:
                await alive()
            await asyncio.wait({output}, timeout=5)
    except BaseException:
        if process.returncode is None:
            process.kill()
        raise
    text = (output.result()[0] or b"").decode(errors="replace")
    if process.returncode != 0:
        raise RetrainError(f"the trainer exited {process.returncode}: {text[-2000:]}")
    model = load_model(workdir / f"{version}.json.gz")
    switched, rows = await load_model_tables(sessions, model, now)
    return Retrained(model.version, switched, rows)
