"""The kill switch: a paused journey or channel holds its sends (deferred, reason `paused`), and
they go out once resumed."""

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from cli.main import app
from storage.audit import audit_entries
from tests.conftest import Stack, eventually, unique
from tests.journey_helpers import journey, midday_timezone, post_event, put_customer
from tests.smtp_server import SmtpSink


async def ledger(stack: Stack, customer_id: str) -> list[dict[str, Any]]:
    response = await stack.http.get(f"/v1/customers/{customer_id}/messages")
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def switch(stack: Stack, kind: str, name: str, paused: bool) -> None:
    body = {"paused": paused, "reason": "complaint spike under review"}
    response = await stack.http.put(f"/v1/ops/switches/{kind}/{name}", json=body)
    assert response.status_code == 200, response.text


async def held_then_sent(
    stack: Stack, env: WorkflowEnvironment, smtp: SmtpSink, kind: str, name: str
) -> None:
    customer_id = unique("c")
    address = f"{customer_id}@example.com"
    await put_customer(
        stack, customer_id, email=address, consent={"email": True}, timezone=midday_timezone()
    )
    await switch(stack, kind, name, paused=True)
    try:
        await post_event(stack, customer_id, "signup", {})
        handle = journey(stack, "welcome", customer_id)
        # Two rechecks' worth of time: each finds the switch still paused.
        await env.fast_forward(handle, timedelta(minutes=12))

        async def held() -> list[dict[str, Any]]:
            rows = await ledger(stack, customer_id)
            return [r for r in rows if r["reason"] == "paused"] if len(rows) >= 3 else []

        rows = await eventually(held)
        assert len(rows) >= 3 and all(r["status"] == "deferred" for r in rows), rows
        assert not [r for r in await ledger(stack, customer_id) if r["status"] == "sent"]
        assert smtp.to(address) == []
    finally:
        await switch(stack, kind, name, paused=False)
    await env.fast_forward(handle, timedelta(minutes=6))

    async def sent() -> list[dict[str, Any]]:
        return [r for r in await ledger(stack, customer_id) if r["status"] == "sent"]

    delivered = await eventually(sent)
    assert [(r["step"], r["channel"]) for r in delivered] == [("welcome", "email")]
    assert len(smtp.to(address)) == 1


async def test_a_paused_journey_holds_its_sends_and_sends_them_when_resumed(
    stack: Stack, temporal_env: WorkflowEnvironment, smtp: SmtpSink
) -> None:
    with temporal_env.with_time_skipping_disabled():
        await held_then_sent(stack, temporal_env, smtp, "journey", "welcome")


async def test_a_paused_channel_holds_its_sends_and_sends_them_when_resumed(
    stack: Stack, temporal_env: WorkflowEnvironment, smtp: SmtpSink
) -> None:
    with temporal_env.with_time_skipping_disabled():
        await held_then_sent(stack, temporal_env, smtp, "channel", "email")


async def test_switches_name_what_they_pause_and_are_audited(stack: Stack) -> None:
    bad = await stack.http.put("/v1/ops/switches/journey/nope", json={"paused": True})
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "name"
    bad = await stack.http.put("/v1/ops/switches/channel/fax", json={"paused": True})
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "name"
    bad = await stack.http.put("/v1/ops/switches/segment/x", json={"paused": True})
    assert bad.status_code == 422
    await switch(stack, "journey", "winback", paused=True)
    listed = (await stack.http.get("/v1/ops/switches")).json()
    assert {"switch_id": "journey:winback", "paused": True}.items() <= next(
        s for s in listed if s["switch_id"] == "journey:winback"
    ).items()
    await switch(stack, "journey", "winback", paused=False)
    async with stack.sessions() as session:
        actions = [(e.action, e.target) for e in await audit_entries(session, limit=5)]
    assert ("switch.resume", "journey:winback") in actions
    assert ("switch.pause", "journey:winback") in actions


def test_journeyctl_pauses_and_resumes_a_switch_and_refuses_unknown_names(
    sqlite_url: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    env = {"DATABASE_URL": sqlite_url, "DATA_DIR": str(tmp_path)}
    paused = runner.invoke(
        app, ["switches", "pause", "channel", "sms", "--reason", "provider incident"], env=env
    )
    assert paused.exit_code == 0, paused.output
    listed = json.loads(runner.invoke(app, ["switches", "list"], env=env).output)
    sms = next(s for s in listed if s["switch_id"] == "channel:sms")
    assert sms["paused"] and sms["reason"] == "provider incident"
    assert sms["changed_by"].startswith("cli:")
    resumed = runner.invoke(app, ["switches", "resume", "channel", "sms"], env=env)
    assert resumed.exit_code == 0, resumed.output
    listed = json.loads(runner.invoke(app, ["switches", "list"], env=env).output)
    assert not next(s for s in listed if s["switch_id"] == "channel:sms")["paused"]
    refused = runner.invoke(app, ["switches", "pause", "journey", "nope"], env=env)
    assert refused.exit_code == 2 and "unknown journey" in refused.output
