"""Reports: the funnel, the KPIs and the experiments as JSON, and the HTML report page.

JSON routes and `GET /reports` need the bearer key. A browser cannot send that header, so an
authenticated `POST /v1/reports/links` mints a short-lived signed link `GET /reports/{token}`
that needs nothing else (reports/links.py); the key itself never goes into a URL.
"""

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.audit import AuditorDep
from api.auth import CUSTOMERS_READ
from api.deps import SessionsDep, SettingsDep, utcnow
from api.errors import ApiError, error_responses
from offers.catalogue import Offer, load_catalogue
from reports.bandit_state import RefreshResult, refresh_all
from reports.experiment_results import ExperimentReport, experiment_report
from reports.funnel import Funnel, funnel
from reports.kpis import KpiReport, kpi_report
from reports.links import (
    ReportLinkError,
    ReportQuery,
    link_secret,
    make_report_token,
    verify_report_token,
)
from reports.page import build_report_page
from reports.period import Period, resolve_period
from reports.registry import journey_kinds, registered_experiments
from settings import Settings

router = APIRouter(prefix="/v1/reports", tags=["reports"])
page_router = APIRouter(tags=["reports"])
# No bearer key: the signed, expiring token in the path is the authority.
link_router = APIRouter(tags=["reports"])

Since = Annotated[
    AwareDatetime | None,
    Query(description="start of the period, ISO 8601 with offset; default: until - 30 days"),
]
Until = Annotated[AwareDatetime | None, Query(description="end of the period (exclusive); now")]
Journey = Annotated[str | None, Query(description="one journey kind, e.g. cart_abandonment")]
# The page sets no cookie, loads nothing from elsewhere and runs no script.
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    "X-Content-Type-Options": "nosniff",
}


class LinkRequest(BaseModel):
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None
    journey: str | None = None
    ttl_seconds: int | None = Field(None, gt=0, description="life of the link; default 15 min")


class ReportLink(BaseModel):
    url: str = Field(description="path of the page, relative to this API's base URL")
    expires_at: datetime


def _period(settings: Settings, since: datetime | None, until: datetime | None) -> Period:
    try:
        return resolve_period(
            since,
            until,
            utcnow(),
            settings.reports.default_period,
            settings.reports.max_period,
        )
    except ValueError as err:
        blamed = "until" if str(err).startswith("until") else "since"
        raise ApiError(422, str(err), field=blamed) from err


def _journey(journey: str | None) -> str | None:
    if journey is not None and journey not in journey_kinds():
        known = ", ".join(sorted(journey_kinds()))
        raise ApiError(422, f"unknown journey {journey!r} (known: {known})", field="journey")
    return journey


def _offers() -> dict[str, Offer]:
    return {offer.offer_id: offer for offer in load_catalogue().offers}


@router.get(
    "/funnel",
    dependencies=[CUSTOMERS_READ],
    summary="Sent → delivered → opened → clicked → converted, per journey, "
    "step, channel and experiment arm",
)
async def read_funnel(
    settings: SettingsDep,
    sessions: SessionsDep,
    journey: Journey = None,
    since: Since = None,
    until: Until = None,
) -> Funnel:
    period = _period(settings, since, until)
    async with sessions() as session:
        return await funnel(
            session,
            period,
            registered_experiments(),
            settings.reports.conversion_window,
            _journey(journey),
        )


@router.get(
    "/kpis",
    dependencies=[CUSTOMERS_READ],
    summary="The business KPIs of PRODUCT.md with their targets and counts",
)
async def read_kpis(
    settings: SettingsDep, sessions: SessionsDep, since: Since = None, until: Until = None
) -> KpiReport:
    period = _period(settings, since, until)
    async with sessions() as session:
        return await kpi_report(session, period, utcnow(), settings.reports, _offers())


@router.get(
    "/experiments",
    dependencies=[CUSTOMERS_READ],
    summary="Each experiment's arms (stored posteriors, P(best), winner) and holdout lift",
)
async def read_experiments(
    settings: SettingsDep, sessions: SessionsDep, since: Since = None, until: Until = None
) -> ExperimentReport:
    period = _period(settings, since, until)
    async with sessions() as session:
        return await experiment_report(
            session, period, registered_experiments(), settings.reports.conversion_window
        )


@router.post(
    "/experiments/refresh",
    summary="Recount every experiment's posteriors from the ledger; promote winners",
)
async def refresh_experiments(
    settings: SettingsDep, sessions: SessionsDep, audit: AuditorDep
) -> list[RefreshResult]:
    async with audit("experiments.refresh", None):
        return await refresh_all(
            sessions,
            registered_experiments().values(),
            utcnow(),
            settings.experiments.probability_best_draws,
        )


@router.post(
    "/links",
    status_code=201,
    dependencies=[CUSTOMERS_READ],
    summary="A short-lived signed link to the report page",
)
async def create_link(request: LinkRequest, settings: SettingsDep) -> ReportLink:
    _period(settings, request.since, request.until)  # refuse now what the page would refuse
    limit = int(settings.reports.max_link_ttl.total_seconds())
    # Compared as a number first: a huge ttl_seconds overflows timedelta.
    if request.ttl_seconds is not None and request.ttl_seconds > limit:
        raise ApiError(422, f"ttl_seconds may be at most {limit}", field="ttl_seconds")
    ttl = (
        timedelta(seconds=request.ttl_seconds)
        if request.ttl_seconds is not None
        else settings.reports.link_ttl
    )
    query = ReportQuery(since=request.since, until=request.until, journey=_journey(request.journey))
    expires_at = utcnow() + ttl
    token = make_report_token(query, link_secret(settings), expires_at)
    return ReportLink(url=f"/reports/{token}", expires_at=expires_at)


@page_router.get("/reports", response_class=HTMLResponse, summary="The report page (bearer key)")
async def report_page(
    settings: SettingsDep,
    sessions: SessionsDep,
    journey: Journey = None,
    since: Since = None,
    until: Until = None,
) -> HTMLResponse:
    return await _page(settings, sessions, ReportQuery(since=since, until=until, journey=journey))


@link_router.get(
    "/reports/{token}",
    response_class=HTMLResponse,
    summary="The report page (signed link)",
    responses=error_responses(403),
)
async def report_page_by_link(
    token: str, settings: SettingsDep, sessions: SessionsDep
) -> HTMLResponse:
    try:
        query = verify_report_token(token, link_secret(settings), utcnow())
    except ReportLinkError as err:
        raise ApiError(403, str(err), field="token") from err
    return await _page(settings, sessions, query)


async def _page(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], query: ReportQuery
) -> HTMLResponse:
    period = _period(settings, query.since, query.until)
    journey = _journey(query.journey)
    async with sessions() as session:
        html = await build_report_page(
            session,
            period,
            journey,
            utcnow(),
            settings.reports,
            registered_experiments(),
            _offers(),
        )
    return HTMLResponse(html, headers=_PAGE_HEADERS)
