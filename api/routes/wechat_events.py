"""WeChat's own event pushes: `GET/POST /v1/webhooks/wechat/events` (the account's server URL).

Signed with the account's Token (`CHANNELS__WECHAT__SERVER_TOKEN`, channels/wechat_events.py),
no relay in between. GET answers WeChat's URL check with `echostr`; POST takes one event and
answers `success`: a template message's delivery result goes to the ledger as a receipt, and an
unfollow closes the WeChat channel for every customer with that openid, within the request.
404 when no Token is configured, 401 for a bad or stale signature, 422 for a body that is not
WeChat's XML.
"""

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse

from api.deps import SessionsDep, SettingsDep, utcnow
from api.errors import ApiError
from api.routes.webhooks import apply_receipts, unsubscribe_address
from channels.wechat_events import WeChatPushError, parse_push, template_receipt, verify_push
from models.channels import Channel
from settings import Settings

router = APIRouter(prefix="/v1/webhooks/wechat/events", tags=["webhooks"])
log = structlog.get_logger()

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "signature missing, stale or wrong"},
    404: {"description": "no WeChat server Token configured"},
    422: {"description": "not WeChat's XML"},
    503: {"description": "database or Temporal unavailable; WeChat retries"},
}
QueryText = Annotated[str | None, Query(max_length=128)]


def _verified(
    settings: Settings, signature: str | None, timestamp: str | None, nonce: str | None
) -> None:
    wechat = settings.channels.wechat
    token = wechat.server_token if wechat else None
    if token is None:
        raise ApiError(404, "WeChat event pushes are not configured", field="provider")
    try:
        verify_push(
            token.get_secret_value(),
            signature,
            timestamp,
            nonce,
            utcnow(),
            settings.channels.webhook_tolerance_seconds,
        )
    except WeChatPushError as err:
        raise ApiError(401, str(err), field="signature") from err


@router.get(
    "",
    response_class=PlainTextResponse,
    summary="WeChat's server URL check: answers echostr",
    responses=_ERRORS,
)
async def check_url(
    settings: SettingsDep,
    signature: QueryText = None,
    timestamp: QueryText = None,
    nonce: QueryText = None,
    echostr: QueryText = None,
) -> PlainTextResponse:
    _verified(settings, signature, timestamp, nonce)
    return PlainTextResponse(echostr or "")


@router.post(
    "",
    response_class=PlainTextResponse,
    summary="WeChat event push: template delivery results, unfollows",
    responses=_ERRORS,
)
async def receive_event(
    request: Request,
    settings: SettingsDep,
    sessions: SessionsDep,
    signature: QueryText = None,
    timestamp: QueryText = None,
    nonce: QueryText = None,
) -> PlainTextResponse:
    _verified(settings, signature, timestamp, nonce)
    try:
        event = parse_push(await request.body())
    except WeChatPushError as err:
        raise ApiError(422, str(err), field="body") from err
    receipt = template_receipt(event)
    if receipt is not None:
        await apply_receipts(request, settings, sessions, Channel.WECHAT.value, [receipt])
    elif event.event == "unsubscribe":
        await unsubscribe_address(
            sessions,
            settings.guardrails,
            Channel.WECHAT,
            event.openid,
            Channel.WECHAT,
            source="wechat_unfollow",
        )
    else:
        log.info("wechat push ignored", push=event.event or event.fields.get("MsgType", ""))
    return PlainTextResponse("success")
