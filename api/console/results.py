"""Results: the report page that exists (reports/page.py: KPIs, funnel, experiments, who wrote
the copy) on the console's navigation. The console mints the same short-lived signed link an
API client gets from POST /v1/reports/links and frames it, so the figures come from one place
and the report keeps its own strict page policy."""

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from api.console.render import render
from api.console.session import PATH, ConsoleError, Session, current_session, require
from models.api_keys import Scope
from reports.links import ReportQuery, link_secret, make_report_token
from reports.registry import journey_kinds

router = APIRouter(prefix=PATH, include_in_schema=False)
SessionDep = Annotated[Session, Depends(current_session)]


@router.get("/results", response_class=HTMLResponse)
async def results(
    request: Request,
    session: SessionDep,
    days: Annotated[int, Query(ge=1, le=365)] = 30,
    journey: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    require(session, Scope.CUSTOMERS_READ)
    settings = request.app.state.settings
    if days > settings.reports.max_period.days:
        raise ConsoleError(422, f"at most {settings.reports.max_period.days} days", "days")
    journey = journey or None
    if journey is not None and journey not in journey_kinds():
        raise ConsoleError(422, "not a journey of the catalogue", "journey")
    now = datetime.now(UTC)
    query = ReportQuery(since=now - timedelta(days=days), until=now, journey=journey)
    token = make_report_token(query, link_secret(settings), now + settings.reports.link_ttl)
    return render(
        "results.html",
        session,
        "results",
        report_url=f"/reports/{token}",
        days=days,
        journey=journey,
        journeys=sorted(journey_kinds()),
    )
