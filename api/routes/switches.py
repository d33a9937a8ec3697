"""Kill switches per journey and per channel (docs/alerts.md): paused, every send they cover is
held (deferred with reason `paused`) and sent once resumed."""

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.audit import AuditorDep
from api.auth import OperatorDep
from api.deps import SessionsDep, utcnow
from api.errors import ApiError, error_responses
from ops.switches import UnknownSwitch, checked_switch_id
from storage.switches import Switch, list_switches, set_switch

router = APIRouter(prefix="/v1/ops/switches", tags=["operations"])


class SwitchChange(BaseModel):
    paused: bool
    reason: str = Field("", max_length=200, description="why, for the console and audit log")


class SwitchView(BaseModel):
    switch_id: str
    paused: bool
    reason: str
    changed_by: str
    changed_at: datetime


def view(switch: Switch) -> SwitchView:
    return SwitchView(**switch.__dict__)


@router.get("", summary="Every kill switch set, paused or resumed")
async def switches(sessions: SessionsDep, _: OperatorDep) -> list[SwitchView]:
    async with sessions() as session:
        return [view(switch) for switch in await list_switches(session)]


@router.put(
    "/{kind}/{name}",
    summary="Pause or resume a journey's or a channel's sends (held while paused, not dropped)",
    responses=error_responses(422),
)
async def put_switch(
    kind: Literal["journey", "channel"],
    name: str,
    change: SwitchChange,
    sessions: SessionsDep,
    audit: AuditorDep,
    principal: OperatorDep,
) -> SwitchView:
    try:
        key = checked_switch_id(kind, name)
    except UnknownSwitch as err:
        raise ApiError(422, str(err), field=err.field) from err
    switch = Switch(key, change.paused, change.reason, f"key:{principal.name}", utcnow())
    async with audit("switch.pause" if change.paused else "switch.resume", key) as entry:
        entry.detail = {"reason": change.reason} if change.reason else {}
        async with sessions.begin() as session:
            await set_switch(session, switch)
    return view(switch)
