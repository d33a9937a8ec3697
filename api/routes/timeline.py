import base64
import binascii
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from temporalio.service import RPCError

from api.deps import SessionsDep, TemporalDep
from api.errors import ApiError
from api.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, decode_cursor, encode_cursor
from api.temporal import temporal_unavailable
from models.events import Identifier
from models.search_attributes import JOURNEY_KIND, JOURNEY_STEP
from ops.queries import literal
from ops.timeline import TimelineEntry, customer_timeline

router = APIRouter(prefix="/v1/customers", tags=["customers"])
_TEMPORAL_DOWN: dict[int | str, dict[str, Any]] = {
    503: {"description": "Temporal unavailable; retry later"}
}


@router.get(
    "/{customer_id}/timeline",
    summary="Everything that happened to a customer, in time order: events received, journeys "
    "started and ended, steps reached, message decisions with their reasons; a page at a time",
    responses=_TEMPORAL_DOWN,
)
async def read_timeline(
    customer_id: Identifier,
    temporal: TemporalDep,
    sessions: SessionsDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[TimelineEntry]:
    # Entries only ever join at the end (time order), so a position in the list stays put.
    start = 0 if cursor is None else decode_cursor(cursor, "n")["n"]
    if not isinstance(start, int) or start < 0:
        raise ApiError(422, "not a cursor of this list", field="cursor")
    try:
        entries = (await customer_timeline(temporal, sessions, customer_id)).entries
    except RPCError as err:
        raise temporal_unavailable() from err
    end = start + limit
    return Page(
        items=entries[start:end],
        next_cursor=encode_cursor({"n": end}) if end < len(entries) else None,
    )


class JourneySummary(BaseModel):
    workflow_id: str
    run_id: str
    journey: str | None
    status: str
    step: str | None
    started_at: datetime
    closed_at: datetime | None


@router.get(
    "/{customer_id}/journeys",
    summary="The customer's journey runs (Temporal's visibility), newest first, a page at a time",
    responses=_TEMPORAL_DOWN,
)
async def list_customer_journeys(
    customer_id: Identifier,
    temporal: TemporalDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[JourneySummary]:
    token = None
    if cursor is not None:
        try:
            token = base64.urlsafe_b64decode(str(decode_cursor(cursor, "t")["t"]))
        except (binascii.Error, ValueError) as err:
            raise ApiError(422, "not a cursor of this list", field="cursor") from err
    runs = temporal.list_workflows(
        f"CustomerId = {literal(customer_id)}", page_size=limit, next_page_token=token
    )
    try:
        await runs.fetch_next_page()
    except RPCError as err:
        raise temporal_unavailable() from err
    items = [
        JourneySummary(
            workflow_id=run.id,
            run_id=run.run_id,
            journey=run.typed_search_attributes.get(JOURNEY_KIND),
            status=run.status.name.lower() if run.status else "unknown",
            step=run.typed_search_attributes.get(JOURNEY_STEP),
            started_at=run.start_time,
            closed_at=run.close_time,
        )
        for run in runs.current_page or []
    ]
    following = runs.next_page_token
    return Page(
        items=items,
        next_cursor=encode_cursor({"t": base64.urlsafe_b64encode(following).decode()})
        if following
        else None,
    )
