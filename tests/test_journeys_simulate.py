"""`journeyctl simulate`: a definition run for a profile and timed events, printed as a timeline."""

import json
from datetime import timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from cli.main import app
from cli.simulate import load_events, simulate_journey
from journeys.post_support import POST_SUPPORT
from journeys.registry import journey_by_kind
from models.customers import CustomerProfile
from tests.conftest import make_settings, unique
from tests.journey_helpers import midday_timezone

EXAMPLES = Path(__file__).parent.parent / "journeys" / "examples"


async def test_simulation_of_a_cart_paid_at_2h(
    temporal_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path
) -> None:
    spec = journey_by_kind("cart_abandonment")
    assert spec is not None
    profile = CustomerProfile.model_validate(
        {**json.loads((EXAMPLES / "profile.json").read_text()), "timezone": midday_timezone()}
    )
    simulation = await simulate_journey(
        temporal_env,
        make_settings(sqlite_url, tmp_path),
        spec,
        profile,
        load_events(EXAMPLES / "cart_paid.json"),
        customer_id=unique("sim"),
    )

    timeline = [(row.since_trigger, row.step, row.what, row.channel) for row in simulation.rows]
    minute = timedelta(minutes=1)
    assert timeline[0][1:] == ("", "event cart_updated", None)
    sent = [row for row in timeline if row[2] == "sent: delivered"]
    assert [(row[1], row[3]) for row in sent] == [("stage_1", "inapp")]
    assert abs(sent[0][0] - 30 * minute) < minute
    paid = next(row for row in timeline if row[2] == "event order_paid")
    assert abs(paid[0] - 2 * timedelta(hours=1)) < minute
    assert timeline[-1][1:3] == ("exited", "step")
    assert simulation.outcome == "exited"


def test_the_command_runs_a_draft_definition_file(tmp_path: Path) -> None:
    draft = POST_SUPPORT.model_copy(
        update={"kind": "post_support_draft", "workflow_type": "PostSupportDraft", "version": 7}
    )
    definition = tmp_path / "draft.json"
    definition.write_text(draft.model_dump_json())
    events = tmp_path / "events.json"
    events.write_text(
        json.dumps([{"at": "0", "type": "support_ticket_closed", "properties": {"topic": "size"}}])
    )
    profile = tmp_path / "profile.json"
    profile.write_text(
        json.dumps({"timezone": midday_timezone(), "consent": {"inapp": True}, "locale": "en"})
    )

    result = CliRunner().invoke(
        app,
        ["simulate", str(definition), "--profile", str(profile), "--events", str(events)],
    )

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("post_support_draft (DraftJourney v7)")
    guidance = next(line for line in lines if "sent: delivered" in line)
    assert guidance.split()[:2] == ["+0d", "02:00"]
    assert " guidance " in guidance and " inapp " in guidance
    assert lines[-1] == "outcome: completed"


def test_the_command_names_a_bad_event_file(tmp_path: Path) -> None:
    events = tmp_path / "events.json"
    events.write_text(json.dumps([{"at": "soon", "type": "signup"}]))
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "welcome",
            "--profile",
            str(EXAMPLES / "profile.json"),
            "--events",
            str(events),
        ],
    )
    assert result.exit_code == 2
    assert "not a duration" in result.output
