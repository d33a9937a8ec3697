"""The console over HTTP (the app in-process): sign-in turns a key into a signed session cookie,
every page but the form wants it, every POST wants the CSRF token, acting wants the `ops` scope,
bad input is a 4xx naming the field, and the customer's words are shown as text."""

import json
import re
from contextlib import aclosing
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from models.api_keys import ApiKey, Scope
from models.tables import AuditRow
from tests.conftest import API_KEY, Stack, eventually, make_settings, unique
from tests.journey_helpers import cart, midday_timezone, put_customer

READER_KEY = "reader-console-key-0123456789"
PAGES = [
    "/console",
    "/console/journeys",
    "/console/journeys/cart_abandonment",
    "/console/customers",
    "/console/customers/c-1",
    "/console/preview",
    "/console/failures",
    "/console/results",
]


@pytest.fixture
async def console(temporal_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path) -> Stack:
    reader = ApiKey(
        name="reader", key=SecretStr(READER_KEY), scopes=frozenset({Scope.CUSTOMERS_READ})
    )
    stack = Stack(
        make_settings(sqlite_url, tmp_path, api_keys=[API_KEY, reader]), temporal_env.client
    )
    with temporal_env.with_time_skipping_disabled():
        yield stack
    await stack.close()


def browser(stack: Stack) -> httpx.AsyncClient:
    """A client with no bearer key, as a browser is."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=stack.app), base_url="http://api")


async def signed_in(stack: Stack, key: str = API_KEY) -> tuple[httpx.AsyncClient, str]:
    client = browser(stack)
    answer = await client.post(
        "/console/login", data={"api_key": key, "next": "/console/customers"}
    )
    assert answer.status_code == 303, answer.text
    page = await client.get("/console/customers")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    return client, csrf[1]


async def test_sign_in_gives_a_strict_httponly_cookie_and_never_the_key(console: Stack) -> None:
    async with browser(console) as client:
        wrong = await client.post("/console/login", data={"api_key": "nope"})
        assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
        assert "unknown API key" in wrong.text
        answer = await client.post(
            "/console/login", data={"api_key": API_KEY, "next": "https://evil.example/"}
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/console/journeys"  # no open redirect
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
        assert API_KEY not in cookie and API_KEY not in answer.headers["location"]
        page = await client.get("/console/customers")
        assert page.status_code == 200 and "Find a customer" in page.text
        assert "default-src 'none'" in page.headers["content-security-policy"]
        # A forged cookie is no session.
        client.cookies.set("console_session", cookie.split(";")[0].split("=", 1)[1][:-4] + "AAAA")
        assert (await client.get("/console/customers")).status_code == 303


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_wants_a_session(console: Stack, path: str) -> None:
    async with browser(console) as client:
        answer = await client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/console/login?next=")
        # The bearer key of the JSON API is not a console session either.
        keyed = await client.get(path, headers={"Authorization": f"Bearer {API_KEY}"})
        assert keyed.status_code == 303


async def test_posts_want_the_csrf_token_and_acting_wants_the_ops_scope(console: Stack) -> None:
    target = {"workflow_id": "cart_abandonment:c-1", "run_id": "r-1"}
    client, csrf = await signed_in(console)
    async with aclosing(client):
        forged = await client.post("/console/failures/retry", data=target)
        assert forged.status_code == 403 and "csrf_token" in forged.text
        wrong = await client.post("/console/failures/retry", data={**target, "csrf_token": "x"})
        assert wrong.status_code == 403
        unknown = await client.post("/console/failures/retry", data={**target, "csrf_token": csrf})
        assert unknown.status_code == 404 and "run_id" in unknown.text

    reader, reader_csrf = await signed_in(console, READER_KEY)
    async with aclosing(reader):
        refused = await reader.post(
            "/console/failures/retry", data={**target, "csrf_token": reader_csrf}
        )
        assert refused.status_code == 403 and "lacks the scope ops" in refused.text
        page = await reader.get("/console/failures")
        assert page.status_code == 200 and "you can look, not act" in page.text
        assert "Retry</button>" not in page.text
    async with console.sessions() as session:
        rows = list(
            await session.scalars(select(AuditRow).where(AuditRow.target == target["workflow_id"]))
        )
    assert rows == []  # refused before anything was done


async def test_bad_input_is_a_4xx_naming_the_field(console: Stack) -> None:
    client, csrf = await signed_in(console)
    async with aclosing(client):
        cases = [
            (
                client.post(
                    "/console/customers", data={"csrf_token": csrf, "customer_id": "no spaces"}
                ),
                422,
                "customer_id",
            ),
            (
                client.post("/console/customers", data={"csrf_token": csrf, "contact": "neither"}),
                422,
                "contact",
            ),
            (client.get("/console/journeys/nope"), 404, "kind"),
            (client.get("/console/failures?hours=0"), 422, "hours"),
            (client.get("/console/results?journey=nope"), 422, "journey"),
            (
                client.post("/console/preview", data={"csrf_token": csrf, "journey": "nope"}),
                422,
                "journey",
            ),
            (
                client.post(
                    "/console/preview",
                    data={"csrf_token": csrf, "journey": "welcome", "profile": "{", "events": "[]"},
                ),
                422,
                "profile",
            ),
            (
                client.post(
                    "/console/preview",
                    data={"csrf_token": csrf, "journey": "welcome", "profile": "{}", "events": "["},
                ),
                422,
                "events",
            ),
            (
                client.post(
                    "/console/preview",
                    content=b"{}",
                    headers={"content-type": "application/json", "X-CSRF-Token": csrf},
                ),
                415,
                "body",
            ),
        ]
        for request, status, field in cases:
            answer = await request
            assert answer.status_code == status, (field, answer.text)
            assert field in answer.text, answer.text


async def test_a_contact_finds_the_customer_by_its_keyed_hash(console: Stack) -> None:
    customer_id = unique("c")
    email = f"{customer_id}@example.com"
    await put_customer(
        console, customer_id, email=email, consent={"email": True}, attributes={"x": "<b>hi</b>"}
    )
    client, csrf = await signed_in(console)
    async with aclosing(client):
        found = await client.post(
            "/console/customers", data={"csrf_token": csrf, "contact": email.upper()}
        )
        assert found.status_code == 303
        assert found.headers["location"] == f"/console/customers/{customer_id}"
        missing = await client.post(
            "/console/customers", data={"csrf_token": csrf, "contact": "x@nowhere.example"}
        )
        assert missing.status_code == 404 and "No customer found" in missing.text
        page = await client.get(found.headers["location"])
        assert page.status_code == 200
        assert "email ✓" in page.text
        assert email not in page.text  # the address itself is not shown


@pytest.mark.timeout(300)
async def test_a_preview_of_a_stored_customer_uses_their_profile(console: Stack) -> None:
    customer_id, zone = unique("c"), midday_timezone()
    await put_customer(
        console,
        customer_id,
        email=f"{customer_id}@example.com",
        timezone=zone,
        consent={"email": True},
    )
    events = json.dumps([{"at": "0", "type": "cart_updated", "properties": cart()}])
    client, csrf = await signed_in(console)
    async with aclosing(client):
        started = await client.post(
            "/console/preview",
            data={
                "csrf_token": csrf,
                "journey": "cart_abandonment",
                "customer_id": customer_id,
                "profile": "",
                "events": events,
            },
            headers={"HX-Request": "true"},
        )
        assert started.status_code == 200, started.text
        job = re.search(r'hx-get="(/console/preview/jobs/[^"]+)"', started.text)
        assert job is not None

        reader, _ = await signed_in(console, READER_KEY)
        async with aclosing(reader):
            assert (await reader.get(job[1])).status_code == 404  # another key's preview

        async def finished() -> str | None:
            page = (await client.get(job[1])).text
            return page if 'class="job done"' in page or "job failed" in page else None

        result = await eventually(finished, timeout=240)
    assert result is not None and 'class="job done"' in result, result
    assert f"time zone {zone}" in result
    sent = re.findall(r'<tr class="row sent">(.*?)</tr>', result, re.S)
    # Only email is consented to: the first message goes out by email, not the in-app default.
    assert sent and "<td>email</td>" in sent[0]
    assert "nothing was sent" in result.lower()


async def test_signing_out_ends_the_session(console: Stack) -> None:
    client, csrf = await signed_in(console)
    async with aclosing(client):
        refused = await client.post("/console/logout", data={"csrf_token": "forged"})
        assert refused.status_code == 403  # no CSRF token: a forged sign-out does nothing
        assert (await client.get("/console/customers")).status_code == 200
        out = await client.post("/console/logout", data={"csrf_token": csrf})
        assert out.status_code == 303 and out.headers["location"] == "/console/login"
        assert 'console_session=""' in out.headers["set-cookie"]
        assert (await client.get("/console/customers")).status_code == 303


@pytest.mark.timeout(300)
async def test_a_preview_the_simulation_refuses_says_why(console: Stack) -> None:
    events = json.dumps([{"at": "0", "type": "order_paid", "properties": {"order_id": "o-1"}}])
    client, csrf = await signed_in(console)
    async with aclosing(client):
        started = await client.post(
            "/console/preview",
            data={
                "csrf_token": csrf,
                "journey": "cart_abandonment",
                "profile": '{"timezone": "UTC"}',
                "events": events,
            },
        )
        job = re.search(r'hx-get="(/console/preview/jobs/[^"]+)"', started.text)
        assert job is not None, started.text

        async def failed() -> str | None:
            page = (await client.get(job[1])).text
            return page if "job failed" in page else None

        result = await eventually(failed, timeout=200)
    assert result is not None
    assert "the first event at time 0 must be the trigger, a cart_updated" in result
