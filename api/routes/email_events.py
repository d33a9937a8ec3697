"""Email senders' own event webhooks: SendGrid's signed Event Webhook, Amazon SES through SNS.

- `POST /v1/webhooks/sendgrid/events` (`CHANNELS__EMAIL__SENDGRID__VERIFICATION_KEY`): a JSON
  list of events, ECDSA-signed (channels/sendgrid_events.py). 401 for a bad signature.
- `POST /v1/webhooks/ses/notifications` (`CHANNELS__EMAIL__SES__TOPIC_ARNS`): an SNS HTTPS
  subscription. Every message's SNS signature is checked against its certificate
  (channels/sns.py, 401 otherwise) and its topic must be listed (403). A SubscriptionConfirmation
  is confirmed by visiting its SubscribeURL; a Notification carries one SES event.
Events become receipts of the email channel (delivered, bounced, opened, clicked, complained,
unsubscribed), applied once each. 404 when the sender is not configured; 422 for a body that is
not the sender's format.
"""

import json
from typing import Any

import httpx
import structlog
from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from api.deps import SessionsDep, SettingsDep, utcnow
from api.errors import ApiError, field_errors
from api.routes.webhooks import ReceiptsAccepted, apply_receipts
from channels.sendgrid_events import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SendGridSignatureError,
    event_receipt,
    verify_sendgrid,
)
from channels.ses_events import notification_receipt
from channels.settings import SesEventSettings
from channels.sns import SnsCertificateUnavailable, SnsSignatureError, SnsVerifier
from models.channels import Channel
from models.receipts import Receipt

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
log = structlog.get_logger()

_COMMON: dict[int | str, dict[str, Any]] = {
    404: {"description": "this sender's events are not configured"},
    422: {"description": "not the sender's event format (field and reason given)"},
    503: {"description": "database, Temporal or the SNS certificate unavailable; retried"},
}


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError as err:
        raise ApiError(422, f"body is not valid JSON: {err}", field="body") from err


def _receipt(build: Any, *args: Any) -> Receipt | None:
    try:
        return build(*args)
    except ValidationError as err:
        detail = field_errors(err.errors())[0]
        raise ApiError(422, detail["reason"], field=detail["field"]) from err


@router.post(
    "/sendgrid/events",
    summary="SendGrid Event Webhook (signed)",
    responses={401: {"description": "signature missing or wrong"}, **_COMMON},
)
async def sendgrid_events(
    request: Request, settings: SettingsDep, sessions: SessionsDep
) -> ReceiptsAccepted:
    sendgrid = settings.channels.email.sendgrid
    if sendgrid is None:
        raise ApiError(404, "SendGrid events are not configured", field="provider")
    body = await request.body()
    try:
        verify_sendgrid(
            sendgrid.verification_key,
            body,
            request.headers.get(SIGNATURE_HEADER),
            request.headers.get(TIMESTAMP_HEADER),
        )
    except SendGridSignatureError as err:
        raise ApiError(401, str(err), field=SIGNATURE_HEADER) from err
    events = _json(body)
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise ApiError(422, "a JSON list of event objects", field="body")
    receipts = [r for e in events if (r := _receipt(event_receipt, e)) is not None]
    acks = await apply_receipts(request, settings, sessions, Channel.EMAIL.value, receipts)
    return ReceiptsAccepted(provider="sendgrid", receipts=acks)


def _sns_verifier(request: Request, ses: SesEventSettings) -> SnsVerifier:
    """One verifier per app, so fetched certificates are kept between requests."""
    verifier = getattr(request.app.state, "sns_verifier", None)
    if verifier is None:
        verifier = request.app.state.sns_verifier = SnsVerifier(ses.certificate_url_pattern)
    return verifier


@router.post(
    "/ses/notifications",
    status_code=200,
    summary="Amazon SES events through an SNS HTTPS subscription",
    responses={
        401: {"description": "SNS signature missing or wrong"},
        403: {"description": "a topic not in CHANNELS__EMAIL__SES__TOPIC_ARNS"},
        **_COMMON,
    },
)
async def ses_notifications(
    request: Request, settings: SettingsDep, sessions: SessionsDep
) -> Response:
    ses = settings.channels.email.ses
    if ses is None:
        raise ApiError(404, "SES events are not configured", field="provider")
    message = _json(await request.body())
    if not isinstance(message, dict) or not all(isinstance(v, str) for v in message.values()):
        raise ApiError(422, "an SNS message: a JSON object of strings", field="body")
    verifier = _sns_verifier(request, ses)
    try:
        await verifier.verify(message)
    except SnsSignatureError as err:
        raise ApiError(401, str(err), field="Signature") from err
    except SnsCertificateUnavailable as err:
        raise ApiError(503, str(err), headers={"Retry-After": "30"}) from err
    if message["TopicArn"] not in ses.topic_arns:
        raise ApiError(403, "topic not accepted", field="TopicArn")
    kind = message["Type"]
    if kind == "SubscriptionConfirmation":
        await _confirm(verifier, ses, message)
    elif kind == "Notification":
        try:
            receipt = _receipt(
                notification_receipt, message["MessageId"], message["Message"], utcnow()
            )
        except ValueError as err:
            raise ApiError(422, str(err), field="Message") from err
        if receipt is not None:
            await apply_receipts(request, settings, sessions, Channel.EMAIL.value, [receipt])
    return Response(status_code=200)


async def _confirm(verifier: SnsVerifier, ses: SesEventSettings, message: dict[str, str]) -> None:
    url = message["SubscribeURL"]
    if not ses.confirm_subscriptions or not verifier.same_host(message, url):
        log.info("sns subscription left unconfirmed", topic=message["TopicArn"])
        return
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            (await client.get(url)).raise_for_status()
    except httpx.HTTPError as err:
        raise ApiError(503, "SNS did not take the confirmation; retry later") from err
    log.info("sns subscription confirmed", topic=message["TopicArn"])
