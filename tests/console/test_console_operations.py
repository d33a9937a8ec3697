"""The console's Alerts & switches page over HTTP: it lists the alerts (open and cleared), every
journey's and channel's switch and the webhooks' dead letters; pausing, resuming and replaying
want the CSRF token and the `ops` scope, are audited, and bad input is a 4xx naming the field."""

from contextlib import aclosing
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from models.tables import AuditRow
from storage.alerts import Alert, add_alert
from storage.switches import Switch, list_switches
from storage.webhooks import DeadLetter, add_dead_letter, list_dead_letters
from tests.conftest import Stack, unique
from tests.console.test_console_pages import READER_KEY, console, signed_in

__all__ = ["console"]  # the fixture, shared with the other console pages' tests


async def _audit(
    stack: Stack, target: str, since: datetime
) -> list[tuple[str, str, str, dict[str, object]]]:
    """The audit rows of `target` since the test began (other tests share the database and may
    act on the same switch)."""
    async with stack.sessions() as session:
        rows = await session.scalars(
            select(AuditRow)
            .where(AuditRow.target == target, AuditRow.at >= since)
            .order_by(AuditRow.at)
        )
        return [(row.actor, row.action, row.outcome, row.detail) for row in rows]


async def _dead_letter(stack: Stack, endpoint_id: str, seq: int) -> None:
    async with stack.sessions.begin() as session:
        await add_dead_letter(
            session,
            DeadLetter(
                endpoint_id, seq, f"message.sent:{seq}", "HTTP 500", 9, _now(), "pending", None
            ),
        )


async def _switch(stack: Stack, key: str) -> Switch | None:
    """The switch as stored (the database is shared by the module's tests: look at one)."""
    async with stack.sessions() as session:
        return next((s for s in await list_switches(session) if s.switch_id == key), None)


def _now() -> datetime:
    return datetime.now(UTC)


async def test_the_page_lists_alerts_switches_and_dead_letters(console: Stack) -> None:
    now, spiked = _now(), unique("journey")
    async with console.sessions.begin() as session:
        await add_alert(
            session,
            Alert(
                unique("a"),
                f"complaint_rate:journey={spiked}/channel=email",
                "complaint_rate",
                {"journey": spiked, "channel": "email"},
                0.012,
                0.003,
                now - timedelta(minutes=5),
                None,
                f"paused journey:{spiked}",
            ),
        )
        await add_alert(
            session,
            Alert(
                unique("a"),
                f"tag_sync_lag_seconds:{spiked}",
                "tag_sync_lag_seconds",
                {},
                40.0,
                5.0,
                now - timedelta(hours=2),
                now - timedelta(hours=1),
                None,
            ),
        )
    await _dead_letter(console, "we_" + "2" * 20, 7)
    client, _csrf = await signed_in(console)
    async with aclosing(client):
        page = await client.get("/console/alerts")
    assert page.status_code == 200, page.text
    text = page.text
    assert "Alerts &amp; switches</a>" in text  # on the console's nav
    opened, cleared = text.split("Recently cleared")
    assert f'data-alert="complaint_rate:journey={spiked}/channel=email"' in opened
    assert f"journey={spiked} channel=email" in opened and f"paused journey:{spiked}" in opened
    assert f'data-alert="tag_sync_lag_seconds:{spiked}"' in cleared
    assert 'data-switch="journey:cart_abandonment"' in text and 'data-switch="channel:sms"' in text
    assert 'data-letter="we_22222222222222222222/7"' in text and "HTTP 500" in text
    assert "Replay</button>" in text and "Pause</button>" in text


async def test_pause_and_resume_from_the_page_are_audited(console: Stack) -> None:
    began = _now()
    client, csrf = await signed_in(console)
    async with aclosing(client):
        form = {
            "csrf_token": csrf,
            "kind": "journey",
            "name": "winback",
            "action": "pause",
            "reason": "complaint spike",
        }
        paused = await client.post("/console/alerts/switch", data=form)
        assert paused.status_code == 303
        assert paused.headers["location"].startswith("/console/alerts?done=")
        page = await client.get(paused.headers["location"])
        assert "paused journey:winback" in page.text
        switch = await _switch(console, "journey:winback")
        assert switch is not None
        assert (switch.switch_id, switch.paused, switch.reason, switch.changed_by) == (
            "journey:winback",
            True,
            "complaint spike",
            "key:key-1",
        )
        resumed = await client.post(
            "/console/alerts/switch", data={**form, "action": "resume", "reason": ""}
        )
        assert resumed.status_code == 303
        switch = await _switch(console, "journey:winback")
        assert switch is not None and not switch.paused
    assert await _audit(console, "journey:winback", began) == [
        ("key:key-1", "switch.pause", "ok", {"reason": "complaint spike", "via": "console"}),
        ("key:key-1", "switch.resume", "ok", {"via": "console"}),
    ]


async def test_replay_of_a_dead_letter_from_the_page_is_audited(console: Stack) -> None:
    began = _now()
    endpoint_id = "we_" + "3" * 20
    await _dead_letter(console, endpoint_id, 11)
    client, csrf = await signed_in(console)
    async with aclosing(client):
        answer = await client.post(
            "/console/alerts/replay",
            data={"csrf_token": csrf, "endpoint_id": endpoint_id, "seq": "11"},
        )
        assert answer.status_code == 303, answer.text
        page = await client.get("/console/alerts")
    assert "replay asked" in page.text
    async with console.sessions() as session:
        [letter] = await list_dead_letters(session, endpoint_id)
    assert letter.state == "replay"  # the endpoint's delivery workflow sends it at its next pass
    assert await _audit(console, f"{endpoint_id}/11", began) == [
        ("key:key-1", "webhook.replay", "ok", {"via": "console"})
    ]


async def test_acting_wants_the_csrf_token_and_the_ops_scope(console: Stack) -> None:
    began, sms_before = _now(), await _switch(console, "channel:sms")
    switch = {"kind": "channel", "name": "sms", "action": "pause"}
    letter = {"endpoint_id": "we_" + "4" * 20, "seq": "3"}
    await _dead_letter(console, letter["endpoint_id"], 3)
    client, _csrf = await signed_in(console)
    async with aclosing(client):
        for path, form in (("/console/alerts/switch", switch), ("/console/alerts/replay", letter)):
            forged = await client.post(path, data=form)
            assert forged.status_code == 403 and "csrf_token" in forged.text
            wrong = await client.post(path, data={**form, "csrf_token": "x"})
            assert wrong.status_code == 403

    reader, reader_csrf = await signed_in(console, READER_KEY)
    async with aclosing(reader):
        for path, form in (("/console/alerts/switch", switch), ("/console/alerts/replay", letter)):
            refused = await reader.post(path, data={**form, "csrf_token": reader_csrf})
            assert refused.status_code == 403 and "lacks the scope ops" in refused.text
        page = await reader.get("/console/alerts")
        assert page.status_code == 200 and "you can look, not act" in page.text
        assert "Pause</button>" not in page.text and "Replay</button>" not in page.text
    assert await _switch(console, "channel:sms") == sms_before  # refused: nothing changed
    async with console.sessions() as session:
        assert [d.state for d in await list_dead_letters(session, letter["endpoint_id"])] == [
            "pending"
        ]
    assert await _audit(console, "channel:sms", began) == []


async def test_bad_input_is_a_4xx_naming_the_field(console: Stack) -> None:
    welcome_before = await _switch(console, "journey:welcome")
    client, csrf = await signed_in(console)
    switch = {"csrf_token": csrf, "kind": "journey", "name": "welcome", "action": "pause"}
    letter = {"csrf_token": csrf, "endpoint_id": "we_" + "5" * 20, "seq": "1"}
    async with aclosing(client):
        cases = [
            ("/console/alerts/switch", {**switch, "kind": "customer"}, 422, "kind"),
            ("/console/alerts/switch", {**switch, "name": "nope"}, 422, "name"),
            ("/console/alerts/switch", {**switch, "kind": "channel", "name": "fax"}, 422, "name"),
            ("/console/alerts/switch", {**switch, "action": "delete"}, 422, "action"),
            ("/console/alerts/switch", {**switch, "reason": "x" * 201}, 422, "reason"),
            ("/console/alerts/replay", {**letter, "seq": "one"}, 422, "seq"),
            ("/console/alerts/replay", {**letter, "seq": str(2**31)}, 422, "seq"),
            ("/console/alerts/replay", {**letter, "endpoint_id": ""}, 422, "endpoint_id"),
            ("/console/alerts/replay", letter, 404, "seq"),
        ]
        for path, form, status, field in cases:
            answer = await client.post(path, data=form)
            assert answer.status_code == status, (field, answer.text)
            assert field in answer.text, answer.text
    assert await _switch(console, "journey:welcome") == welcome_before  # nothing changed
