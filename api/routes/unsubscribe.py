"""The preference centre behind the encrypted, expiring link in every email and SMS, with the
one-click unsubscribe (RFC 8058) still one click.

No API key: the token itself is the authority. GET shows the page (mail scanners follow links,
and a GET must change nothing): the unsubscribe button first, then the customer's own
preferences (quiet hours, at most so many messages a day or week, channels on or off;
docs/preferences.md). POST to the link itself (the page's button or a mail client's one-click
`List-Unsubscribe=One-Click`) unsubscribes from every channel and journey; POST to
`<link>/preferences` (the page's form) replaces the preferences, with an audit record.
"""

from html import escape
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from api.deps import SessionsDep, SettingsDep, utcnow
from api.errors import ApiError, error_responses, field_errors
from api.routes.preferences import change_preferences
from channels.link_tokens import LinkClaim, LinkPurpose, LinkTokenError
from channels.setup import link_tokens
from guardrails import FeedbackRules
from models.channels import CHANNEL_PRIORITY, Channel
from models.preferences import CustomerPreferences
from settings import Settings
from storage.consent import unsubscribe
from storage.customers import get_customer
from storage.preferences import get_preferences

router = APIRouter(prefix="/v1/unsubscribe", tags=["unsubscribe"])

# Who changed the preferences, for the audit record: the customer, through their signed link.
LINK_ACTOR = "customer:link"

_PAGE = """<!doctype html><html lang="en"><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<body style="font-family:sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem">
<h1>{title}</h1><p>{text}</p>{form}</body></html>"""
_CHANNEL_NAMES = {
    Channel.INAPP: "In the app",
    Channel.PUSH: "Push notifications",
    Channel.WECHAT: "WeChat",
    Channel.EMAIL: "Email",
    Channel.SMS: "SMS",
}


def _claim(token: str, settings: Settings) -> LinkClaim:
    try:
        return link_tokens(settings).read(token, LinkPurpose.UNSUBSCRIBE, utcnow())
    except LinkTokenError as err:
        raise ApiError(400, f"invalid unsubscribe link: {err}", field="token") from err


def _centre(token: str, preferences: CustomerPreferences) -> str:
    """The unsubscribe button, then the preferences form filled with the stored ones."""
    link = f"/v1/unsubscribe/{escape(token)}"
    unsubscribe_form = (
        f'<form method="post" action="{link}" id="unsubscribe">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit">Unsubscribe from everything</button></form>'
    )

    def clock(value: object) -> str:
        return f"{value:%H:%M}" if value is not None else ""

    def number(value: int | None) -> str:
        return "" if value is None else str(value)

    channels = "".join(
        f'<label><input type="checkbox" name="channel" value="{channel.value}"'
        f"{'' if channel in preferences.channels_off else ' checked'}> "
        f"{_CHANNEL_NAMES[channel]}</label><br>"
        for channel in CHANNEL_PRIORITY
    )
    preferences_form = (
        f'<h2>Or choose what you receive</h2><form method="post" id="preferences" '
        f'action="{link}/preferences">'
        "<fieldset><legend>Quiet hours (your local time): nothing from us between</legend>"
        '<input type="time" name="quiet_hours_start" '
        f'value="{clock(preferences.quiet_hours_start)}"> and '
        '<input type="time" name="quiet_hours_end" '
        f'value="{clock(preferences.quiet_hours_end)}"></fieldset>'
        "<fieldset><legend>How often</legend>"
        '<label>At most <input type="number" min="1" max="100" name="max_per_day" '
        f'value="{number(preferences.max_per_day)}"> messages a day</label><br>'
        '<label>At most <input type="number" min="1" max="500" name="max_per_week" '
        f'value="{number(preferences.max_per_week)}"> messages a week</label></fieldset>'
        f"<fieldset><legend>Send me messages by</legend>{channels}</fieldset>"
        '<button type="submit">Save my preferences</button></form>'
    )
    return unsubscribe_form + preferences_form


@router.get(
    "/{token}",
    response_class=HTMLResponse,
    summary="Preference centre with the one-click unsubscribe (no API key)",
    responses=error_responses(400, 404),
)
async def confirm_page(token: str, settings: SettingsDep, sessions: SessionsDep) -> HTMLResponse:
    claim = _claim(token, settings)  # a bad or expired link gets its 400 here, before any button
    assert claim.customer_id is not None  # an unsubscribe token always names one
    async with sessions() as session:
        if await get_customer(session, claim.customer_id) is None:
            raise ApiError(404, "unknown customer", field="token")
        preferences = await get_preferences(session, claim.customer_id)
    text = "Stop receiving all messages from us, or tell us when and how to reach you."
    page = _PAGE.format(title="Your messages", text=text, form=_centre(token, preferences))
    return HTMLResponse(page)


@router.post(
    "/{token}",
    response_class=HTMLResponse,
    summary="Unsubscribe (RFC 8058 one-click)",
    responses=error_responses(400, 404),
)
async def one_click(token: str, settings: SettingsDep, sessions: SessionsDep) -> HTMLResponse:
    claim = _claim(token, settings)
    assert claim.customer_id is not None
    async with sessions.begin() as session:
        known = await unsubscribe(
            session, claim.customer_id, None, utcnow(), FeedbackRules(settings.guardrails)
        )
    if not known:
        raise ApiError(404, "unknown customer", field="token")
    text = "You will no longer receive any messages from us."
    return HTMLResponse(_PAGE.format(title="Unsubscribed", text=text, form=""))


def _form_preferences(body: bytes) -> CustomerPreferences:
    """The page's form (url-encoded) as preferences: an empty field is no preference, an
    unchecked channel is turned off. 422 naming the field for anything else."""
    try:
        fields = parse_qsl(body.decode(), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError) as err:
        raise ApiError(422, "body is not form-encoded", field="body") from err
    form: dict[str, object] = {
        name: value.strip() or None
        for name, value in fields
        if name in ("quiet_hours_start", "quiet_hours_end", "max_per_day", "max_per_week")
    }
    on = {value for name, value in fields if name == "channel"}
    unknown = on - {channel.value for channel in Channel}
    if unknown:
        raise ApiError(422, f"not a channel: {sorted(unknown)[0]}", field="channel")
    form["channels_off"] = [channel for channel in Channel if channel.value not in on]
    try:
        return CustomerPreferences.model_validate(form)
    except ValidationError as err:
        detail = field_errors(list(err.errors()))[0]
        raise ApiError(422, detail["reason"], field=detail["field"]) from err


@router.post(
    "/{token}/preferences",
    response_class=HTMLResponse,
    summary="Save the preference centre's form (no API key; audited)",
    responses=error_responses(400, 404, 422),
)
async def save_preferences(
    token: str, request: Request, settings: SettingsDep, sessions: SessionsDep
) -> HTMLResponse:
    claim = _claim(token, settings)
    assert claim.customer_id is not None
    preferences = _form_preferences(await request.body())
    if not await change_preferences(sessions, claim.customer_id, preferences, LINK_ACTOR):
        raise ApiError(404, "unknown customer", field="token")
    text = "Saved. We will keep to these from now on."
    page = _PAGE.format(title="Your messages", text=text, form=_centre(token, preferences))
    return HTMLResponse(page)
