"""One-click unsubscribe (RFC 8058): the encrypted, expiring link in every email and SMS.

No API key: the token itself is the authority. GET shows a confirmation page (mail scanners
follow links, and a GET must not unsubscribe anyone); POST — the page's button or a mail
client's one-click `List-Unsubscribe=One-Click` — takes effect on every channel and journey.
"""

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.deps import SessionsDep, SettingsDep, utcnow
from api.errors import ApiError, error_responses
from channels.link_tokens import LinkClaim, LinkPurpose, LinkTokenError
from channels.setup import link_tokens
from guardrails import FeedbackRules
from settings import Settings
from storage.consent import unsubscribe

router = APIRouter(prefix="/v1/unsubscribe", tags=["unsubscribe"])

_PAGE = """<!doctype html><html lang="en"><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<body style="font-family:sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem">
<h1>{title}</h1><p>{text}</p>{form}</body></html>"""


def _claim(token: str, settings: Settings) -> LinkClaim:
    try:
        return link_tokens(settings).read(token, LinkPurpose.UNSUBSCRIBE, utcnow())
    except LinkTokenError as err:
        raise ApiError(400, f"invalid unsubscribe link: {err}", field="token") from err


@router.get(
    "/{token}",
    response_class=HTMLResponse,
    summary="Confirmation page (no API key)",
    responses=error_responses(400),
)
async def confirm_page(token: str, settings: SettingsDep) -> HTMLResponse:
    _claim(token, settings)  # a bad or expired link gets its 400 here, before any button
    form = (
        f'<form method="post" action="/v1/unsubscribe/{escape(token)}">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit">Unsubscribe</button></form>'
    )
    text = "Stop receiving all messages from us?"
    return HTMLResponse(_PAGE.format(title="Unsubscribe", text=text, form=form))


@router.post(
    "/{token}",
    response_class=HTMLResponse,
    summary="Unsubscribe (RFC 8058 one-click)",
    responses=error_responses(400, 404),
)
async def one_click(token: str, settings: SettingsDep, sessions: SessionsDep) -> HTMLResponse:
    claim = _claim(token, settings)
    assert claim.customer_id is not None  # an unsubscribe token always names one
    async with sessions.begin() as session:
        known = await unsubscribe(
            session, claim.customer_id, None, utcnow(), FeedbackRules(settings.guardrails)
        )
    if not known:
        raise ApiError(404, "unknown customer", field="token")
    text = "You will no longer receive any messages from us."
    return HTMLResponse(_PAGE.format(title="Unsubscribed", text=text, form=""))
