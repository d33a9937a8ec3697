from fastapi import APIRouter
from temporalio.service import RPCError

from api.deps import SessionsDep, TemporalDep
from api.temporal import temporal_unavailable
from models.events import Identifier
from ops.timeline import Timeline, customer_timeline

router = APIRouter(prefix="/v1/customers", tags=["customers"])


@router.get(
    "/{customer_id}/timeline",
    summary="Everything that happened to a customer, in time order: events received, journeys "
    "started and ended, steps reached, message decisions with their reasons",
    responses={503: {"description": "Temporal unavailable; retry later"}},
)
async def read_timeline(
    customer_id: Identifier, temporal: TemporalDep, sessions: SessionsDep
) -> Timeline:
    try:
        return await customer_timeline(temporal, sessions, customer_id)
    except RPCError as err:
        raise temporal_unavailable() from err
