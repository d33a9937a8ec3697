"""SMS providers' own callbacks: delivery statuses and the customers' replies.

Every reply, whichever provider brings it, goes through `sms_reply`, the one place that asks
guardrails.is_sms_opt_out_reply: STOP, UNSUBSCRIBE, TD, T, R, 退订 (full-width or not) and the
other opt-out words unsubscribe every customer with that number from every channel, within the
request, with an audit record per customer.

The custom gateway (`CHANNELS__SMS__PROVIDER=gateway`, with `CHANNELS__SMS__WEBHOOK_SECRET`):
- `POST /v1/webhooks/sms/inbound`: one reply (channels.sms.InboundSms), signed with
  `X-Journeys-Signature` as its delivery receipts on `POST /v1/webhooks/sms` are.

Twilio (`CHANNELS__SMS__PROVIDER=twilio`), each request signed with `X-Twilio-Signature`:
- `POST /v1/webhooks/twilio/status?message_id=...`: the StatusCallback every send names.
- `POST /v1/webhooks/twilio/inbound`: the number's (or Messaging Service's) incoming-message
  webhook. A reply that is an opt-out (Twilio's `OptOutType=STOP`, or STOP, UNSUBSCRIBE, TD,
  退订... as guardrails.is_sms_opt_out_reply reads them) unsubscribes every customer with that
  number from every channel, within the request; the answer is an empty TwiML `<Response/>`
  (Twilio itself sends the carrier-mandated confirmation).

Tencent Cloud SMS (`CHANNELS__SMS__PROVIDER=tencent`) signs nothing: the callback URLs carry
the secret `CALLBACK_TOKEN` in their path, and anything else is 404.
- `POST /v1/webhooks/tencent-sms/<token>/status`: 状态回执, a JSON list of delivery reports.
- `POST /v1/webhooks/tencent-sms/<token>/reply`: 上行, one reply; TD, T, R, 退订 unsubscribe.

A provider that is not the configured one is 404; a bad signature 401; a body that is not the
provider's format 422.
"""

import hmac
import json
from typing import Any
from urllib.parse import parse_qsl

import structlog
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.deps import SessionsDep, SettingsDep, utcnow
from api.errors import ApiError, field_errors
from api.routes.webhooks import MAX_RECEIPTS, apply_receipts, unsubscribe_address
from channels.settings import HttpProviderSettings, TencentSmsSettings, TwilioSettings
from channels.signing import SIGNATURE_HEADER as GATEWAY_SIGNATURE_HEADER
from channels.signing import SignatureError, verify_signature
from channels.sms import InboundSms
from channels.tencent_sms import DeliveryReport, report_receipt
from channels.twilio import (
    INBOUND_PATH,
    SIGNATURE_HEADER,
    STATUS_CALLBACK_PATH,
    status_receipt,
    twilio_signature_valid,
)
from guardrails import is_sms_opt_out_reply
from models.channels import Channel
from settings import Settings
from storage.audit import audited

router = APIRouter(tags=["webhooks"])
log = structlog.get_logger()

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
_CALLBACK_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "X-Twilio-Signature missing or wrong"},
    404: {"description": "Twilio is not the configured SMS provider"},
    422: {"description": "not Twilio's form parameters (field and reason given)"},
    503: {"description": "database or Temporal unavailable; Twilio retries"},
}


async def sms_reply(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    number: str,
    text: str,
    source: str,
    provider_opt_out: bool = False,
) -> bool:
    """One customer's reply to our SMS, from any provider's route: an opt-out (the words of
    guardrails.is_sms_opt_out_reply, or the provider's own verdict) unsubscribes every customer
    with `number` from every channel, as the unsubscribe link does (RFC 8058's spirit: one
    answer stops everything), each with an audit record. Whether it was an opt-out."""
    opt_out = provider_opt_out or is_sms_opt_out_reply(text)
    if not opt_out or not number:
        log.info("sms reply ignored", source=source, opt_out=opt_out)
        return False
    customer_ids = await unsubscribe_address(
        sessions, settings.guardrails, Channel.SMS, number, None, source=source
    )
    for customer_id in customer_ids:
        # After the fact (the unsubscribe committed): the record says what happened and why.
        actor = f"sms_reply:{source}"
        async with audited(sessions, actor, "customer.unsubscribe", customer_id) as entry:
            entry.detail = {"channels": "all"}
    return True


async def _twilio_form(request: Request, settings: Settings) -> dict[str, str]:
    """The POST parameters of a request Twilio signed; 404 when Twilio is not configured."""
    twilio = settings.channels.sms
    if not isinstance(twilio, TwilioSettings):
        raise ApiError(404, "Twilio is not the SMS provider", field="provider")
    body = await request.body()
    try:
        params = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError) as err:
        raise ApiError(422, "body is not form-encoded", field="body") from err
    url = settings.channels.public_base_url + request.url.path
    if request.url.query:
        url += f"?{request.url.query}"
    if not twilio_signature_valid(
        twilio.auth_token.get_secret_value(),
        url,
        params,
        request.headers.get(SIGNATURE_HEADER),
    ):
        raise ApiError(401, "signature does not match", field=SIGNATURE_HEADER)
    return dict(params)


@router.post(
    STATUS_CALLBACK_PATH,
    status_code=204,
    summary="Twilio status callback (delivered, undelivered, failed, read)",
    responses=_CALLBACK_ERRORS,
)
async def twilio_status(
    request: Request, settings: SettingsDep, sessions: SessionsDep, message_id: str | None = None
) -> Response:
    params = await _twilio_form(request, settings)
    try:
        receipt = status_receipt(params, message_id, utcnow())
    except ValidationError as err:
        detail = field_errors(err.errors())[0]
        raise ApiError(422, detail["reason"], field=detail["field"]) from err
    if receipt is not None:
        await apply_receipts(request, settings, sessions, Channel.SMS.value, [receipt])
    return Response(status_code=204)


@router.post(
    INBOUND_PATH,
    summary="Twilio incoming message: STOP and the other opt-out replies unsubscribe",
    response_class=Response,
    responses={200: {"content": {"text/xml": {}}}, **_CALLBACK_ERRORS},
)
async def twilio_inbound(
    request: Request, settings: SettingsDep, sessions: SessionsDep
) -> Response:
    params = await _twilio_form(request, settings)
    await sms_reply(
        sessions,
        settings,
        params.get("From", ""),
        params.get("Body", ""),
        source="twilio_reply",
        provider_opt_out=params.get("OptOutType", "").upper() == "STOP",
    )
    return Response(EMPTY_TWIML, media_type="text/xml")


def _tencent_callback(settings: Settings, token: str) -> None:
    """404 unless Tencent Cloud is the SMS provider and the path carries its callback token."""
    sms = settings.channels.sms
    secret = sms.callback_token if isinstance(sms, TencentSmsSettings) else None
    if secret is None or not hmac.compare_digest(secret.get_secret_value(), token):
        raise ApiError(404, "no such callback", field="token")


async def _json_body(request: Request) -> object:
    try:
        return json.loads(await request.body())
    except ValueError as err:
        raise ApiError(422, f"body is not valid JSON: {err}", field="body") from err


_REPORTS = TypeAdapter(list[DeliveryReport])
TENCENT_OK = {"result": 0, "errmsg": "OK"}
_TENCENT_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Tencent Cloud is not the SMS provider, or the token is wrong"},
    422: {"description": "not Tencent Cloud's callback format (field and reason given)"},
    503: {"description": "database or Temporal unavailable; Tencent Cloud retries"},
}


@router.post(
    "/v1/webhooks/tencent-sms/{token}/status",
    summary="Tencent Cloud SMS delivery reports (状态回执)",
    responses=_TENCENT_ERRORS,
)
async def tencent_status(
    token: str, request: Request, settings: SettingsDep, sessions: SessionsDep
) -> dict[str, object]:
    _tencent_callback(settings, token)
    reports = await _json_body(request)
    if not isinstance(reports, list) or len(reports) > MAX_RECEIPTS:
        raise ApiError(422, f"a list of at most {MAX_RECEIPTS} reports", field="body")
    try:
        parsed = _REPORTS.validate_python(reports)
    except ValidationError as err:
        detail = field_errors(err.errors())[0]
        raise ApiError(422, detail["reason"], field=detail["field"]) from err
    receipts = [report_receipt(report, utcnow()) for report in parsed]
    await apply_receipts(request, settings, sessions, Channel.SMS.value, receipts)
    return TENCENT_OK


@router.post(
    "/v1/webhooks/tencent-sms/{token}/reply",
    summary="Tencent Cloud SMS replies (上行): TD, T, R and 退订 unsubscribe",
    responses=_TENCENT_ERRORS,
)
async def tencent_reply(
    token: str, request: Request, settings: SettingsDep, sessions: SessionsDep
) -> dict[str, object]:
    _tencent_callback(settings, token)
    reply = await _json_body(request)
    if not isinstance(reply, dict):
        raise ApiError(422, "a reply is a JSON object", field="body")
    mobile, nation = str(reply.get("mobile") or ""), str(reply.get("nationcode") or "")
    if not mobile.isdigit() or not nation.isdigit():
        raise ApiError(422, "mobile and nationcode must be digits", field="mobile")
    await sms_reply(
        sessions,
        settings,
        f"+{nation}{mobile}",
        str(reply.get("text") or ""),
        source="tencent_sms_reply",
    )
    return TENCENT_OK


class InboundAck(BaseModel):
    id: str
    opt_out: bool = Field(description="the reply unsubscribed its number from every channel")


@router.post(
    "/v1/webhooks/sms/inbound",
    summary="The custom SMS gateway's incoming replies: STOP, TD, 退订... unsubscribe",
    description=f"Signed as the gateway's receipts: `{GATEWAY_SIGNATURE_HEADER}: "
    "t=<unix>,v1=<hex>`, hex = HMAC-SHA256(webhook secret, `<t>.` + body). Body: "
    '`{"id": "<reply id>", "from": "+8613800000000", "text": "TD"}`.',
    responses={
        401: {"description": "signature missing, stale or wrong"},
        404: {"description": "the custom gateway is not the SMS provider, or has no secret"},
        422: {"description": "not an inbound SMS (field and reason given)"},
        503: {"description": "database unavailable; the gateway should retry"},
    },
)
async def sms_gateway_inbound(
    request: Request, settings: SettingsDep, sessions: SessionsDep
) -> InboundAck:
    gateway = settings.channels.sms
    secret = gateway.webhook_secret if isinstance(gateway, HttpProviderSettings) else None
    if secret is None:
        raise ApiError(404, "the SMS gateway takes no inbound replies here", field="provider")
    body = await request.body()
    try:
        verify_signature(
            secret.get_secret_value(),
            body,
            request.headers.get(GATEWAY_SIGNATURE_HEADER),
            utcnow(),
            settings.channels.webhook_tolerance_seconds,
        )
    except SignatureError as err:
        raise ApiError(401, str(err), field=GATEWAY_SIGNATURE_HEADER) from err
    try:
        reply = InboundSms.model_validate_json(body)
    except ValidationError as err:
        detail = field_errors(list(err.errors()))[0]
        raise ApiError(422, detail["reason"], field=detail["field"]) from err
    opt_out = await sms_reply(sessions, settings, reply.sender, reply.text, "sms_gateway_reply")
    return InboundAck(id=reply.id, opt_out=opt_out)
