"""A production deployment: processes configured by environment variables alone.

- A process refuses to start, with one clear line, when a secret, the API key list or a
  working database is missing: no generated secret a second process would not share.
- Three processes as compose runs them (the API and two workers, in processes of their own):
  the unsubscribe link and the tracked link each worker writes into an email work at the API.
"""

import asyncio
import json
import re
import uuid
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path

import httpx
import pytest
import typer
from temporalio.testing import WorkflowEnvironment

from cli.preflight import load_settings, production_problems
from settings import Settings
from tests.journey_helpers import midday_timezone
from tests.processes import (
    BACKEND_KEY,
    OPS_KEY,
    free_port,
    production_env,
    run,
    start,
    stop,
    wait_healthy,
)
from tests.smtp_server import SmtpSink


def refusal(result: object) -> list[str]:
    return [line for line in result.stderr.splitlines() if "cannot start" in line]


@pytest.fixture
def database(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'journeys.db'}"


def test_a_missing_secret_stops_a_worker_with_one_line(database: str, tmp_path: Path) -> None:
    env = production_env(DATABASE_URL=database, DATA_DIR=str(tmp_path))
    del env["GUARDRAILS__UNSUBSCRIBE_SECRET"]
    result = run("worker", env=env)
    assert result.returncode == 2
    assert refusal(result) == [
        "journeyctl worker: cannot start in production: GUARDRAILS__UNSUBSCRIBE_SECRET is not set"
    ]
    assert not list(tmp_path.glob("dev-*"))  # no secret of its own written


def test_a_missing_api_key_list_stops_the_api_with_one_line(database: str, tmp_path: Path) -> None:
    env = production_env(DATABASE_URL=database, DATA_DIR=str(tmp_path))
    del env["API_KEYS"]
    result = run("api", env=env)
    assert result.returncode == 2
    assert refusal(result) == [
        "journeyctl api: cannot start in production: API_KEYS is not set (a JSON list of "
        '{"name", "key", "scopes"})'
    ]


def test_plain_development_keys_are_refused_in_production(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = production_env(DATABASE_URL=database, DATA_DIR=str(tmp_path))
    env["API_KEYS"] = json.dumps(["a-development-style-key"])
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    [problem] = production_problems(Settings(), "api")
    assert problem.startswith("API_KEYS: key 1 is a plain string; production keys name their")


@pytest.mark.parametrize(
    ("role", "url", "expected"),
    [
        ("migrate", "not a url", "DATABASE_URL is not a database URL"),
        ("api", "mysql://journeys@db/journeys", "DATABASE_URL: driver 'mysql' is not one of"),
        (
            "worker",
            "postgresql+asyncpg://journeys:s3cret@127.0.0.1:1/journeys",
            "DATABASE_URL: cannot connect to postgresql+asyncpg://journeys:***@127.0.0.1:1/journeys",
        ),
    ],
)
def test_a_bad_database_url_stops_the_process_with_one_line(
    role: str, url: str, expected: str, tmp_path: Path
) -> None:
    result = run(role, env=production_env(DATABASE_URL=url, DATA_DIR=str(tmp_path)))
    assert result.returncode == 2, result.stderr
    [line] = refusal(result)
    assert line.startswith(f"journeyctl {role}: cannot start in production: {expected}")
    assert "s3cret" not in result.stderr


def test_an_unparsable_setting_is_one_line_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("API_KEYS", "[not json")
    with pytest.raises(typer.Exit) as refused:
        load_settings("api")
    assert refused.value.exit_code == 2
    assert capsys.readouterr().err == "journeyctl api: cannot start: API_KEYS: not valid JSON\n"


def links(mail: Message) -> tuple[str, str, str]:
    """The email's unsubscribe link, its tracked call to action and its open pixel."""
    [unsubscribe] = re.findall(r"<(https?://[^>]+/v1/unsubscribe/[^>]+)>", mail["List-Unsubscribe"])
    [html] = [p for p in mail.walk() if p.get_content_type() == "text/html"]
    text = html.get_payload(decode=True).decode()
    [click] = re.findall(r'href="(https?://[^"]+/t/c/[^"]+)"', text)
    [pixel] = re.findall(r'src="(https?://[^"]+/t/o/[^"]+)"', text)
    return unsubscribe, click, pixel


async def wait_for_mail(smtp: SmtpSink, address: str, timeout: float = 60) -> Message:
    for _ in range(int(timeout / 0.2)):
        if received := smtp.to(address):
            return received[0]
        await asyncio.sleep(0.2)
    raise TimeoutError(f"no mail to {address}")


async def test_links_written_by_either_worker_work_at_the_api(
    temporal_env: WorkflowEnvironment, smtp: SmtpSink, database: str, tmp_path: Path
) -> None:
    port = free_port()
    api_url = f"http://127.0.0.1:{port}"
    env = production_env(
        DATABASE_URL=database,
        DATA_DIR=str(tmp_path / "data"),
        TEMPORAL_ADDRESS=temporal_env.client.service_client.config.target_host,
        TASK_QUEUE=f"tq-{uuid.uuid4()}",
        SMTP_HOST=smtp.host,
        SMTP_PORT=str(smtp.port),
        CHANNELS__PUBLIC_BASE_URL=api_url,
    )
    migrated = run("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    api = start("api", "--port", str(port), env=env, log=tmp_path / "api.log")
    backend = httpx.AsyncClient(
        base_url=api_url, headers={"Authorization": f"Bearer {BACKEND_KEY}"}
    )
    operator = httpx.AsyncClient(base_url=api_url, headers={"Authorization": f"Bearer {OPS_KEY}"})
    journeys = []
    try:
        await asyncio.to_thread(wait_healthy, api_url, api)
        for worker_name in (
            "worker-1",
            "worker-2",
        ):  # one worker at a time: who wrote what is known
            worker = start("worker", env=env, log=tmp_path / f"{worker_name}.log")
            try:
                customer_id = f"c-{uuid.uuid4().hex[:10]}"
                email = f"{customer_id}@example.com"
                put = await backend.put(
                    f"/v1/customers/{customer_id}",
                    json={
                        "email": email,
                        "consent": {"email": True},
                        "timezone": midday_timezone(),
                    },
                )
                assert put.status_code == 200, put.text
                posted = await backend.post(
                    "/v1/events",
                    json={
                        "event_id": f"signup-{customer_id}",
                        "customer_id": customer_id,
                        "type": "signup",
                        "occurred_at": datetime.now(UTC).isoformat(),
                        "properties": {},
                    },
                )
                assert posted.status_code == 202, posted.text
                journeys.append(f"welcome:{customer_id}")
                mail = await wait_for_mail(smtp, email)
            finally:
                stop(worker)
            unsubscribe, click, pixel = links(mail)
            assert all(u.startswith(api_url) for u in (unsubscribe, click, pixel))
            async with httpx.AsyncClient() as browser:  # no key: the links are signed
                clicked = await browser.get(click)
                assert clicked.status_code == 302, (worker_name, clicked.text)
                assert (await browser.get(pixel)).status_code == 200
                page = await browser.get(unsubscribe)
                assert page.status_code == 200, (worker_name, page.text)
                done = await browser.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
                assert done.status_code == 200, (worker_name, done.text)
            profile = (await operator.get(f"/v1/customers/{customer_id}")).json()
            assert "email" in profile["unsubscribed_channels"], worker_name
        # Nothing was made up on the processes' disk: no dev key, no dev secret.
        assert not list((tmp_path / "data").glob("dev-*"))
    finally:
        for workflow_id in journeys:
            await temporal_env.client.get_workflow_handle(workflow_id).terminate("test done")
        await backend.aclose()
        await operator.aclose()
        stop(api)
