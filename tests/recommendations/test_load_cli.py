"""`journeyctl recommendations load` and `activate` on a migrated SQLite database."""

import asyncio
import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from storage.database import migrate
from tests.recommendations.model_builder import ITEMS, LINKS

runner = CliRunner()


def artefact(path: Path, version: str) -> Path:
    """A small artefact in the shipped format (what the lab writes)."""
    links: dict[str, list[list[object]]] = {}
    for source, target, score, co in LINKS:
        links.setdefault(source, []).append([target, score, co])
    links["*popular"] = [[pid, 0.0, 0] for pid in ITEMS]
    data = {
        "version": version,
        "params": {"neighbour_weight": 2.0, "category_weight": 2.0},
        "items": {pid: list(facts) for pid, facts in ITEMS.items()},
        "links": links,
    }
    with gzip.open(path, "wt") as handle:
        json.dump(data, handle)
    return path


async def test_load_switches_versions_and_activate_rolls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'journeys.db'}"
    await migrate(url)
    monkeypatch.setenv("DATABASE_URL", url)
    for version in ("t-1", "t-2"):
        path = artefact(tmp_path / f"{version}.json.gz", version)
        result = await _invoke(["recommendations", "load", "--artifact", str(path)])
        assert result.exit_code == 0, result.output
        assert f"{version}: {len(ITEMS) + 1} rows loaded, now active" in result.output
    assert "t-1\tkept for rollback" in result.output
    again = await _invoke(["recommendations", "load", "--artifact", str(path)])
    assert "already the active version" in again.output
    back = await _invoke(["recommendations", "activate", "t-1"])
    assert back.exit_code == 0 and "t-1 is now active" in back.output
    unknown = await _invoke(["recommendations", "activate", "t-9"])
    assert unknown.exit_code == 2 and "t-9 is not loaded" in unknown.output
    broken = tmp_path / "broken.json.gz"
    broken.write_text("not gzip")
    refused = await _invoke(["recommendations", "load", "--artifact", str(broken)])
    assert refused.exit_code == 2 and "cannot read recommendation artefact" in refused.output


async def _invoke(args: list[str]):
    """The command runs its own event loop: run it off this test's loop."""
    return await asyncio.to_thread(runner.invoke, app, args)
