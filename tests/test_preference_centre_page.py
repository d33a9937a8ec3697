"""The preference centre in a real headless Chromium (Debian's `chromium`), served by uvicorn
on loopback and opened by the unsubscribe link a message carries: the one-click unsubscribe
comes first, the form shows the stored preferences, and what the form posts is stored."""

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import httpx

from channels.link_tokens import LinkPurpose
from channels.setup import link_tokens
from storage.audit import audit_entries
from tests.conftest import API_KEY, make_settings, unique
from tests.test_reports_page import LiveApi, chromium, live_api  # noqa: F401  (the fixture)


class Forms(HTMLParser):
    """The forms of a page as a browser submits them: action, and each field's name and value
    (a checkbox only when ticked), in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.forms.append({"id": found.get("id"), "action": found["action"], "fields": []})
        elif tag == "input" and self.forms:
            self.forms[-1]["fields"].append(
                (found.get("name"), found.get("type"), found.get("value") or "", "checked" in found)
            )


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def forms_of(dom: str) -> list[dict]:
    parser = Forms()
    parser.feed(dom)
    return parser.forms


async def test_the_preference_centre_renders_in_chromium_and_keeps_what_it_posts(
    live_api: LiveApi,  # noqa: F811
    database_url: str,
    tmp_path: Path,
) -> None:
    customer_id = unique("c")
    async with httpx.AsyncClient(
        base_url=live_api.base_url, headers={"Authorization": f"Bearer {API_KEY}"}
    ) as backend:
        created = await backend.put(
            f"/v1/customers/{customer_id}",
            json={"consent": {"email": True, "push": True}, "timezone": "Asia/Shanghai"},
        )
        assert created.status_code == 200, created.text
    token = link_tokens(make_settings(database_url, tmp_path)).make(
        LinkPurpose.UNSUBSCRIBE, datetime.now(UTC) + timedelta(days=30), customer_id=customer_id
    )
    link = f"{live_api.base_url}/v1/unsubscribe/{token}"

    dom = await chromium(tmp_path, "--dump-dom", link)

    assert "<script" not in dom
    unsubscribe, preferences = forms_of(dom)
    assert unsubscribe["id"] == "unsubscribe"  # the one click comes first, alone
    assert "Unsubscribe from everything" in dom
    fields = {name: (kind, value, ticked) for name, kind, value, ticked in preferences["fields"]}
    assert fields["quiet_hours_start"] == ("time", "", False)
    ticked = [v for name, _, v, on in preferences["fields"] if name == "channel" and on]
    assert ticked == ["inapp", "push", "wechat", "email", "sms"]

    # The customer fills the form: quiet from 21:00 to 08:30, one a day, push unticked.
    typed = {"quiet_hours_start": "21:00", "quiet_hours_end": "08:30", "max_per_day": "1"}
    submitted = [
        (name, typed.get(name, value))
        for name, _, value, on in preferences["fields"]
        if name != "channel" or (on and value != "push")
    ]
    async with httpx.AsyncClient(base_url=live_api.base_url) as browser:
        saved = await browser.post(
            preferences["action"], content=urlencode(submitted), headers=FORM
        )
    assert saved.status_code == 200, saved.text

    again = forms_of(await chromium(tmp_path, "--dump-dom", link))[1]
    shown = {name: value for name, _, value, _ in again["fields"] if name != "channel"}
    assert shown == {
        "quiet_hours_start": "21:00",
        "quiet_hours_end": "08:30",
        "max_per_day": "1",
        "max_per_week": "",
    }
    assert [v for name, _, v, on in again["fields"] if name == "channel" and on] == [
        "inapp",
        "wechat",
        "email",
        "sms",
    ]
    async with httpx.AsyncClient(
        base_url=live_api.base_url, headers={"Authorization": f"Bearer {API_KEY}"}
    ) as backend:
        stored = (await backend.get(f"/v1/customers/{customer_id}/preferences")).json()
    assert stored == {
        "quiet_hours_start": "21:00:00",
        "quiet_hours_end": "08:30:00",
        "max_per_day": 1,
        "max_per_week": None,
        "channels_off": ["push"],
    }
    async with live_api.sessions() as session:
        changes = [
            row
            for row in await audit_entries(session, "customer.preferences")
            if row.target == customer_id
        ]
    assert [(row.actor, row.outcome) for row in changes] == [("customer:link", "ok")]

    # The one click still unsubscribes from everything.
    async with httpx.AsyncClient(base_url=live_api.base_url) as browser:
        fields_of_button = [(n, v) for n, _, v, _ in unsubscribe["fields"]]
        done = await browser.post(
            unsubscribe["action"], content=urlencode(fields_of_button), headers=FORM
        )
    assert done.status_code == 200 and "no longer receive any messages" in done.text
