"""The report page in a real headless Chromium (Debian's `chromium`, installed by
scripts/install.sh): served by uvicorn on loopback, opened through a signed link minted by an
authenticated call, with the figures of seeded records in its DOM and a screenshot of it."""

import asyncio
import re
import socket
import struct
import uuid
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from experiments.definitions import Allocation, Arm, Experiment, Metric, Outcome
from models.messages import MessageStatus
from models.tables import MessageRow
from reports.bandit_state import refresh_experiment
from storage.database import create_engine, session_factory
from tests.conftest import API_KEY, make_settings, unique
from tests.reports.seed import cart_started, event, held_out, message, order, period_start, seed

DAY = timedelta(days=1)
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class LiveApi:
    def __init__(self, base_url: str, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.base_url = base_url
        self.sessions = sessions


@pytest.fixture
async def live_api(database_url: str, tmp_path: Path) -> AsyncIterator[LiveApi]:
    """The app served by uvicorn on a free loopback port, in this event loop."""
    app = create_app(make_settings(database_url, tmp_path))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    engine = create_engine(database_url)
    try:
        while not server.started:
            assert not serving.done(), "uvicorn stopped before it started"
            await asyncio.sleep(0.02)
        yield LiveApi(f"http://127.0.0.1:{port}", session_factory(engine))
    finally:
        server.should_exit = True
        await serving
        listener.close()
        await engine.dispose()


async def chromium(tmp_path: Path, *arguments: str) -> str:
    """Run headless Chromium with a fresh profile; its stdout (the DOM for --dump-dom)."""
    profile = tmp_path / f"chromium-{uuid.uuid4().hex[:8]}"
    process = await asyncio.create_subprocess_exec(
        "chromium",
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode == 0, stderr.decode(errors="replace")[-2000:]
    return stdout.decode()


def png_size_and_colours(path: Path) -> tuple[int, int, int]:
    """Width, height and how many distinct byte values the image data holds (a blank page
    compresses to a handful)."""
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", data[16:24])
    idat, offset = b"", 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        if kind == b"IDAT":
            idat += data[offset + 8 : offset + 8 + length]
        offset += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def bandit() -> Experiment:
    return Experiment(
        id=unique("page_bandit"),
        journey="cart_abandonment",
        step="stage_1",
        arms=(Arm(id="rational"), Arm(id="emotional")),
        allocation=Allocation.BANDIT,
        metric=Metric(outcome=Outcome.CLICK, window=timedelta(hours=24)),
        promotion_min_trials=0,
    )


async def seed_records(
    sessions: async_sessionmaker[AsyncSession], experiment: Experiment
) -> tuple[str, str]:
    """Six cart messages in a two-arm bandit (three clicks, all on `rational`; two with template
    copy after an LLM timeout), two carts, two signups, a winback send and a held-out customer;
    returns the period as query strings."""
    t0 = period_start()
    at = t0 + timedelta(hours=1)
    c = [unique("page") for _ in range(8)]

    def cart_message(customer: str, arm: str, clicked: bool, copy: str = "llm") -> MessageRow:
        return message(
            customer,
            at,
            channel="push",
            delivered_at=at,
            opened_at=at if clicked else None,
            clicked_at=at + timedelta(minutes=5) if clicked else None,
            experiment_id=experiment.id,
            arm_id=arm,
            content_path=copy,
            content_notes="llm_timeout" if copy == "template" else "",
        )

    await seed(
        sessions,
        *[cart_message(c[i], "rational", clicked=True) for i in range(3)],
        *[cart_message(c[i], "emotional", clicked=False, copy="template") for i in range(3, 5)],
        cart_message(c[5], "emotional", clicked=False),
        cart_started(c[0], t0, "cart-0"),
        order(c[0], t0 + DAY, cart_id="cart-0"),
        cart_started(c[1], t0, "cart-1"),
        event(c[0], "signup", t0),
        event(c[6], "signup", t0),
        message(
            c[6],
            at,
            journey="winback",
            step="price_message",
            experiment_id="winback_holdout_v1",
            arm_id="winback",
        ),
        order(c[6], t0 + 3 * DAY),
        held_out(c[7], at, "winback_holdout_v1", journey="winback", step="price_message"),
        message(c[7], at, channel="sms", status=MessageStatus.SUPPRESSED, reason="daily_cap"),
    )
    return t0.isoformat(), (t0 + 10 * DAY).isoformat()


async def test_the_report_page_renders_in_chromium_with_charts_and_figures(
    live_api: LiveApi, tmp_path: Path
) -> None:
    experiment = bandit()
    since, until = await seed_records(live_api.sessions, experiment)
    refreshed = await refresh_experiment(
        live_api.sessions, experiment, datetime.now(UTC), draws=10_000
    )
    arms = {arm.arm_id: arm for arm in refreshed.arms}
    async with httpx.AsyncClient(base_url=live_api.base_url) as http:
        minted = await http.post(
            "/v1/reports/links",
            json={"since": since, "until": until},
            headers={"Authorization": f"Bearer {API_KEY}"},
        )
        assert minted.status_code == 201, minted.text
        # The link alone opens the page; without it and without the key, nothing does.
        assert (await http.get("/reports")).status_code == 401
    url = live_api.base_url + minted.json()["url"]

    dom = await chromium(tmp_path, "--dump-dom", url)

    assert "<h1>Journey report</h1>" in dom
    assert "<script" not in dom
    funnel_chart = re.search(r'<figure id="funnel-chart">(.*?)</figure>', dom, re.S)
    assert funnel_chart is not None and "<svg" in funnel_chart.group(1)
    bars = dict(
        re.findall(
            r'data-journey="cart_abandonment" data-stage="(\w+)" data-value="(\d+)"',
            funnel_chart.group(1),
        )
    )
    assert bars == {"sent": "6", "delivered": "6", "opened": "3", "clicked": "3", "converted": "1"}
    kpi_chart = re.search(r'<figure id="kpi-chart">(.*?)</figure>', dom, re.S)
    assert kpi_chart is not None and 'data-kpi="cart_recovery" data-value="0.5"' in kpi_chart.group(
        1
    )
    assert re.search(r'data-kpi="cart_recovery">.*?<td class="num value">50.0%</td>', dom)
    assert re.search(r'data-kpi="first_order_conversion">.*?<td class="num value">50.0%</td>', dom)
    assert re.search(r'data-kpi="cross_channel_ctr">.*?<td class="num value">42.9%</td>', dom)
    assert "Not computable:" in dom  # member cross-purchase says why

    section = re.search(
        rf'<section class="experiment" id="experiment-{experiment.id}">(.*?)</section>', dom, re.S
    )
    assert section is not None
    rational = re.search(r'<tr data-arm="rational">(.*?)</tr>', section.group(1), re.S)
    emotional = re.search(r'<tr data-arm="emotional">(.*?)</tr>', section.group(1), re.S)
    assert rational is not None and emotional is not None
    assert '<td class="num posterior-mean">80.0%</td>' in rational.group(1)  # Beta(4, 1)
    assert '<td class="num posterior-mean">20.0%</td>' in emotional.group(1)  # Beta(1, 4)
    p_best = arms["rational"].probability_best
    assert p_best is not None and f'<td class="num p-best">{p_best:.1%}</td>' in rational.group(1)
    if refreshed.winner is not None:
        assert f"Promoted winner: <b>{refreshed.winner.arm_id}</b>" in section.group(1)
    holdout = re.search(r'id="experiment-winback_holdout_v1">(.*?)</section>', dom, re.S)
    assert holdout is not None
    assert "Treated 1/1 (100.0%) vs holdout 0/1 (0.0%)" in holdout.group(1)
    assert 'class="estimate" data-difference="1"' in holdout.group(1)

    # Who wrote the copy: 2 of the 6 cart messages fell back to the template.
    fallback = re.search(r'<p class="lift" id="fallback-rate">(.*?)</p>', dom, re.S)
    assert fallback is not None and "Fallback rate <b>33.3%</b>" in fallback.group(1)
    push = re.search(r'<tr data-journey="cart_abandonment" data-channel="push">(.*?)</tr>', dom)
    assert push is not None and '<td class="num fallback-rate">33.3%</td>' in push.group(1)
    assert re.search(r'<tr data-reason="llm_timeout">.*?<td class="num">2</td>', dom)

    screenshot = tmp_path / "report.png"
    await chromium(tmp_path, f"--screenshot={screenshot}", "--window-size=1280,2400", url)
    width, height, colours = png_size_and_colours(screenshot)
    assert (width, height) == (1280, 2400)
    assert colours > 50, "the screenshot is blank"
