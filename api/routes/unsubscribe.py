"""One-click unsubscribe (RFC 8058): the signed, expiring link in every email and SMS.

No API key: the token itself is the authority. GET shows a confirmation page (mail scanners
follow links, and a GET must not unsubscribe anyone); POST — the page's button or a mail
client's one-click `List-Unsubscribe=One-Click` — takes effect on every channel and journey.
"""

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.deps import SessionsDep, SettingsDep, utcnow
from api.errors import ApiError, error_responses
from channels.setup import unsubscribe_secret
from guardrails import (
    FeedbackRules,
    UnsubscribeClaim,
    UnsubscribeTokenError,
    verify_unsubscribe_token,
)
from settings import Settings
from storage.consent import unsubscribe

router = APIRouter(prefix="/v1/unsubscribe", tags=["unsubscribe"])

_PAGE = """<!doctype html><html lang="en"><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<body style="font-family:sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem">
<h1>{title}</h1><p>{text}</p>{form}</body></html>"""


def _claim(token: str, settings: Settings) -> UnsubscribeClaim:
    try:
        return verify_unsubscribe_token(token, unsubscribe_secret(settings), utcnow())
    except UnsubscribeTokenError as err:
        raise ApiError(400, f"invalid unsubscribe link: {err}", field="token") from err


def _scope(claim: UnsubscribeClaim) -> str:
    return f"{claim.channel.value} messages" if claim.channel else "all messages"


@router.get(
    "/{token}",
    response_class=HTMLResponse,
    summary="Confirmation page (no API key)",
    responses=error_responses(400),
)
async def confirm_page(token: str, settings: SettingsDep) -> HTMLResponse:
    claim = _claim(token, settings)
    form = (
        f'<form method="post" action="/v1/unsubscribe/{escape(token)}">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit">Unsubscribe</button></form>'
    )
    text = f"Stop receiving {_scope(claim)} from us?"
    return HTMLResponse(_PAGE.format(title="Unsubscribe", text=text, form=form))


@router.post(
    "/{token}",
    response_class=HTMLResponse,
    summary="Unsubscribe (RFC 8058 one-click)",
    responses=error_responses(400, 404),
)
async def one_click(token: str, settings: SettingsDep, sessions: SessionsDep) -> HTMLResponse:
    claim = _claim(token, settings)
    async with sessions.begin() as session:
        known = await unsubscribe(
            session,
            claim.customer_id,
            claim.channel,
            utcnow(),
            FeedbackRules(settings.guardrails),
        )
    if not known:
        raise ApiError(404, "unknown customer", field="token")
    text = f"You will no longer receive {_scope(claim)} from us."
    return HTMLResponse(_PAGE.format(title="Unsubscribed", text=text, form=""))
