"""The reports' HTTP contract on SQLite and PostgreSQL: JSON figures, the key, signed page links
and the 4xx answers for bad input."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from models.messages import MessageStatus
from reports.links import ReportQuery, link_secret, make_report_token
from settings import Settings
from storage.database import create_engine, session_factory
from tests.conftest import API_KEY, make_settings, unique
from tests.reports.seed import cart_started, event, held_out, message, order, period_start, seed

DAY = timedelta(days=1)


class Api:
    def __init__(
        self,
        settings: Settings,
        http: httpx.AsyncClient,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        self.settings = settings
        self.http = http
        self.sessions = sessions


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    """The app alone: the reports need the database, not Temporal."""
    settings = make_settings(database_url, tmp_path)
    app = create_app(settings)
    engine = create_engine(database_url)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://api",
            headers={"Authorization": f"Bearer {API_KEY}"},
        ) as http:
            yield Api(settings, http, session_factory(engine))
    await engine.dispose()


def period(t0: datetime, days: int = 10) -> dict[str, str]:
    return {"since": t0.isoformat(), "until": (t0 + days * DAY).isoformat()}


def fields(response: httpx.Response) -> list[str | None]:
    return [error.get("field") for error in response.json()["detail"]]


async def test_funnel_kpis_and_experiments_as_json(api: Api) -> None:
    t0 = period_start()
    c = [unique("api") for _ in range(4)]
    await seed(
        api.sessions,
        event(c[0], "signup", t0),
        order(c[0], t0 + 2 * DAY, cart_id="cart-1"),
        cart_started(c[0], t0 + DAY + timedelta(hours=12), "cart-1"),
        message(c[0], t0 + DAY, channel="push", delivered_at=t0 + DAY, clicked_at=t0 + DAY),
        message(c[1], t0 + DAY, channel="email", status=MessageStatus.FAILED, bounced_at=t0),
        message(
            c[2],
            t0 + DAY,
            journey="winback",
            step="price_message",
            experiment_id="winback_holdout_v1",
            arm_id="winback",
        ),
        order(c[2], t0 + 25 * DAY),
        held_out(c[3], t0 + DAY, "winback_holdout_v1", journey="winback", step="price_message"),
    )

    funnel = await api.http.get("/v1/reports/funnel", params=period(t0))
    assert funnel.status_code == 200, funnel.text
    body = funnel.json()
    assert [
        (j["journey"], j["sent"], j["converted"], j["held_out"], j["held_out_converted"])
        for j in body["journeys"]
    ] == [
        ("cart_abandonment", 2, 1, 0, 0),
        ("winback", 1, 1, 1, 0),  # converted on day 25: within the experiment's 30 days
    ]
    only_winback = await api.http.get(
        "/v1/reports/funnel", params={**period(t0), "journey": "winback"}
    )
    assert {row["journey"] for row in only_winback.json()["rows"]} == {"winback"}

    kpis = await api.http.get("/v1/reports/kpis", params=period(t0))
    assert kpis.status_code == 200, kpis.text
    by_key = {kpi["key"]: kpi for kpi in kpis.json()["kpis"]}
    assert by_key["first_order_conversion"]["counts"] == {"signups": 1, "converted": 1}
    assert by_key["cross_channel_ctr"]["value"] == pytest.approx(1 / 3)
    assert by_key["block_rate"]["counts"]["bounced"] == 1
    assert by_key["cart_recovery"]["counts"] == {"carts": 1, "recovered": 1}
    assert by_key["winback_return_rate"]["counts"] == {"customers": 1, "returned": 1}
    assert by_key["member_cross_purchase"]["value"] is None

    experiments = await api.http.get("/v1/reports/experiments", params=period(t0))
    assert experiments.status_code == 200, experiments.text
    winback = next(
        e for e in experiments.json()["experiments"] if e["experiment_id"] == "winback_holdout_v1"
    )
    assert winback["treated"] == {"customers": 1, "converted": 1, "rate": 1.0}
    assert winback["holdout"] == {"customers": 1, "converted": 0, "rate": 0.0}
    assert winback["lift"]["difference"] == pytest.approx(1.0)

    refreshed = await api.http.post("/v1/reports/experiments/refresh")
    assert refreshed.status_code == 200
    assert "winback_holdout_v1" in {r["experiment_id"] for r in refreshed.json()}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/reports/funnel"),
        ("GET", "/v1/reports/kpis"),
        ("GET", "/v1/reports/experiments"),
        ("POST", "/v1/reports/experiments/refresh"),
        ("POST", "/v1/reports/links"),
        ("GET", "/reports"),
    ],
)
@pytest.mark.parametrize("authorization", [None, "Bearer wrong-key"])
async def test_every_report_route_needs_the_key(
    api: Api, method: str, path: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {"Authorization": ""}
    response = await api.http.request(method, path, headers=headers, json={})
    assert response.status_code == 401
    assert fields(response) == ["Authorization"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "2026-01-01T00:00:00"}, "since"),  # no offset
        ({"until": "yesterday"}, "until"),
        ({"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "since"),
        ({"since": "2020-01-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "since"),  # too long
        ({"journey": "no_such_journey"}, "journey"),
        ({"until": "0001-01-20T00:01:00Z"}, "until"),  # its default `since` would be year 0
    ],
)
async def test_bad_report_queries_get_a_422_naming_the_field(
    api: Api, params: dict[str, str], field: str
) -> None:
    for path in ("/v1/reports/funnel", "/reports"):
        response = await api.http.get(path, params=params)
        assert response.status_code == 422, (path, response.text)
        assert fields(response) == [field]


async def test_a_signed_link_opens_the_page_without_the_key(api: Api) -> None:
    response = await api.http.post(
        "/v1/reports/links", json={"journey": "winback", "ttl_seconds": 60}
    )
    assert response.status_code == 201, response.text
    link = response.json()
    assert link["url"].startswith("/reports/")
    expires_at = datetime.fromisoformat(link["expires_at"])
    assert timedelta(seconds=50) < expires_at - datetime.now(UTC) <= timedelta(seconds=60)

    page = await api.http.get(link["url"], headers={"Authorization": ""})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src" not in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert "journey <b>winback</b>" in page.text
    assert "<script" not in page.text

    with_key = await api.http.get("/reports", params={"journey": "winback"})
    assert with_key.status_code == 200 and "<svg" in with_key.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ttl_seconds": 2 * 24 * 3600}, "ttl_seconds"),
        ({"ttl_seconds": 0}, "ttl_seconds"),
        ({"ttl_seconds": 10**15}, "ttl_seconds"),  # beyond what a timedelta holds
        ({"journey": "nope"}, "journey"),
        ({"since": "2026-01-01T00:00:00"}, "since"),
    ],
)
async def test_bad_link_requests_get_a_422(api: Api, body: dict[str, object], field: str) -> None:
    response = await api.http.post("/v1/reports/links", json=body)
    assert response.status_code == 422, response.text
    assert fields(response) == [field]


async def test_an_expired_or_forged_link_is_refused(api: Api) -> None:
    secret = link_secret(api.settings)
    expired = make_report_token(ReportQuery(), secret, datetime.now(UTC) - timedelta(seconds=1))
    forged = make_report_token(ReportQuery(), "not-the-secret", datetime.now(UTC) + DAY)
    for token in (expired, forged, "garbage"):
        response = await api.http.get(f"/reports/{token}", headers={"Authorization": ""})
        assert response.status_code == 403
        assert fields(response) == ["token"]
