"""Tracked links and the email open pixel: `GET /t/c/{token}` and `GET /t/o/{token}.gif`.

No bearer key, since customers' mail clients call them; the encrypted token
(channels/link_tokens.py) is what makes them unforgeable and unreadable. A bad or expired token
answers 404. A link to a recommended product also records the click on that pick
(`recommended_items.clicked_at`). A good one always gets its redirect or
pixel: recording the click or open (the first per message counts, as a receipt of the provider
"tracking") happens after the response, and a failure there is logged, never shown.
"""

import structlog
from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.deps import SessionsDep, SettingsDep, utcnow
from api.errors import ApiError, error_responses
from api.routes.webhooks import apply_receipt
from api.temporal import TemporalConnection
from channels.link_tokens import LinkClaim, LinkPurpose, LinkTokenError
from channels.setup import link_tokens
from models.receipts import Receipt, ReceiptType
from settings import Settings
from storage.feedback import OWN_LINKS
from storage.recommendations import record_pick_click

router = APIRouter(prefix="/t", tags=["tracking"])
log = structlog.get_logger()

# The smallest transparent GIF (1x1, 43 bytes).
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
_NO_CACHE = {"Cache-Control": "no-store, max-age=0", "Referrer-Policy": "no-referrer"}


@router.get(
    "/c/{token}",
    status_code=302,
    summary="A tracked link: records the click, redirects to the target",
    responses=error_responses(404),
)
async def click(
    token: str,
    request: Request,
    settings: SettingsDep,
    sessions: SessionsDep,
    background: BackgroundTasks,
) -> RedirectResponse:
    claim = _claim(settings, token, LinkPurpose.CLICK)
    background.add_task(
        _record, request.app.state.temporal, sessions, settings, claim, ReceiptType.CLICKED
    )
    assert claim.url is not None
    return RedirectResponse(claim.url, status_code=302, headers=_NO_CACHE)


@router.get(
    "/o/{token}.gif",
    summary="The open pixel of an email: records the open",
    responses={200: {"content": {"image/gif": {}}}, **error_responses(404)},
)
async def open_pixel(
    token: str,
    request: Request,
    settings: SettingsDep,
    sessions: SessionsDep,
    background: BackgroundTasks,
) -> Response:
    claim = _claim(settings, token, LinkPurpose.OPEN)
    background.add_task(
        _record, request.app.state.temporal, sessions, settings, claim, ReceiptType.OPENED
    )
    return Response(PIXEL, media_type="image/gif", headers=_NO_CACHE)


def _claim(settings: Settings, token: str, purpose: LinkPurpose) -> LinkClaim:
    try:
        return link_tokens(settings).read(token, purpose, utcnow())
    except LinkTokenError as err:
        raise ApiError(404, "unknown link", field="token") from err


async def _record(
    temporal: TemporalConnection,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    claim: LinkClaim,
    kind: ReceiptType,
) -> None:
    receipt = Receipt(
        receipt_id=f"{kind}:{claim.message_id}",
        type=kind,
        message_id=claim.message_id,
        occurred_at=utcnow(),
    )
    try:
        if claim.product_id is not None and claim.message_id is not None:
            # A recommended product's link: the pick's outcome, then the message's click.
            async with sessions.begin() as session:
                await record_pick_click(session, claim.message_id, claim.product_id, utcnow())
        await apply_receipt(
            sessions,
            temporal,
            settings.task_queue,
            OWN_LINKS,
            receipt,
            settings.guardrails,
        )
    except Exception:
        # The customer already has their page; a click lost to an outage is only a statistic.
        log.exception("tracking not recorded", message_id=claim.message_id, kind=kind.value)
