"""Provider receipts in: `POST /v1/webhooks/{provider}`, authenticated by the provider's signature.

No bearer key: each provider signs its body with its own shared secret (channels/signing.py).
Unknown provider (or one with no secret configured) 404, bad or missing signature 401, a body
that is not one receipt or a list of them 422 naming the field, a receipt naming a message that
provider did not carry 403 (refused and recorded; the others of a list are applied). Each receipt
is applied once (storage/feedback.py); the first open or click of a message is stored and routed
as a message_opened / message_clicked event to the customer's journeys.
"""

import json
from datetime import datetime

import structlog
from fastapi import APIRouter, Request
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.service import RPCError

from api.deps import SessionsDep, SettingsDep, utcnow
from api.errors import ApiError, field_errors
from api.temporal import TemporalConnection, temporal_unavailable
from channels.signing import SIGNATURE_HEADER, SignatureError, verify_signature
from guardrails import FeedbackRules, GuardrailSettings
from models.channels import Channel
from models.receipts import Receipt
from routing import route_event
from settings import Settings
from storage.consent import unsubscribe
from storage.contacts import customers_with_openid, customers_with_phone
from storage.events import mark_routed, store_event
from storage.feedback import ReceiptOutcome, ReceiptResult, record_receipt
from telemetry import metrics

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
log = structlog.get_logger()

MAX_RECEIPTS = 1000
_RECEIPT_LIST = TypeAdapter(list[Receipt])


class ReceiptAck(BaseModel):
    receipt_id: str
    outcome: ReceiptOutcome
    message_id: str | None


class ReceiptsAccepted(BaseModel):
    provider: str
    receipts: list[ReceiptAck]


@router.post(
    "/{provider}",
    summary="Delivery receipts, opens, clicks, bounces, complaints and unsubscribes of a provider",
    description=f"Signed with the provider's secret in `{SIGNATURE_HEADER}: t=<unix>,v1=<hex>`, "
    "hex = HMAC-SHA256(secret, `<t>.` + body). Body: one receipt or a list. A receipt id seen "
    "before is acknowledged as `duplicate` and changes nothing; a message we do not know as "
    "`unknown_message` (acknowledged, so the provider stops retrying it).",
    responses={
        401: {"description": "signature missing, stale or wrong"},
        403: {"description": "a receipt names a message this provider did not carry"},
        404: {"description": "no such provider configured"},
        422: {"description": "not a receipt or a list of receipts (field and reason given)"},
        503: {"description": "database or Temporal unavailable; the provider should retry"},
    },
)
async def receive_receipts(
    provider: str, request: Request, settings: SettingsDep, sessions: SessionsDep
) -> ReceiptsAccepted:
    secret = settings.channels.webhook_secret(provider)
    if secret is None:
        raise ApiError(404, "unknown provider", field="provider")
    body = await request.body()
    try:
        verify_signature(
            secret.get_secret_value(),
            body,
            request.headers.get(SIGNATURE_HEADER),
            utcnow(),
            settings.channels.webhook_tolerance_seconds,
        )
    except SignatureError as err:
        raise ApiError(401, str(err), field=SIGNATURE_HEADER) from err
    receipts = _parse(body)
    acks = await apply_receipts(request, settings, sessions, provider, receipts)
    return ReceiptsAccepted(provider=provider, receipts=acks)


async def apply_receipts(
    request: Request,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    provider: str,
    receipts: list[Receipt],
) -> list[ReceiptAck]:
    """Apply a request's receipts in order; 503 when the database is down (the provider
    retries, and the receipts applied so far are then duplicates)."""
    acks = []
    refused: list[str] = []
    for position, receipt in enumerate(receipts):
        try:
            result = await apply_receipt(
                sessions,
                request.app.state.temporal,
                settings.task_queue,
                provider,
                receipt,
                settings.guardrails,
            )
        except SQLAlchemyError as err:
            raise _database_unavailable() from err
        acks.append(
            ReceiptAck(
                receipt_id=receipt.receipt_id, outcome=result.outcome, message_id=result.message_id
            )
        )
        if result.outcome == ReceiptOutcome.REFUSED:
            refused.append(f"{position}.message_id" if len(receipts) > 1 else "message_id")
            metrics.receipts_refused.labels(provider).inc()
            log.warning(
                "receipt refused: the provider did not carry the message",
                provider=provider,
                receipt_id=receipt.receipt_id,
                message_id=result.message_id,
            )
    log.info("receipts received", provider=provider, outcomes=[ack.outcome.value for ack in acks])
    if refused:
        raise ApiError(403, f"not a message {provider} carried; refused", field=refused[0])
    return acks


async def unsubscribe_address(
    sessions: async_sessionmaker[AsyncSession],
    rules: GuardrailSettings,
    address: Channel,
    value: str,
    scope: Channel | None,
    source: str,
) -> list[str]:
    """Every customer whose `address` channel is `value` (an SMS reply's number, a WeChat
    openid) stops receiving `scope` (None: every channel), as the unsubscribe link does
    (storage.consent.unsubscribe: consent withdrawn, undelivered messages suppressed, the latest
    message marked). One transaction; the customers found."""
    find = customers_with_phone if address == Channel.SMS else customers_with_openid
    now = utcnow()
    try:
        async with sessions.begin() as session:
            customer_ids = await find(session, value)
            for customer_id in customer_ids:
                await unsubscribe(session, customer_id, scope, now, FeedbackRules(rules))
    except SQLAlchemyError as err:
        raise _database_unavailable() from err
    log.info(
        "unsubscribed by the provider's callback",
        source=source,
        channel=scope.value if scope else "all",
        customer_ids=customer_ids,
    )
    return customer_ids


def _database_unavailable() -> ApiError:
    return ApiError(503, "database unavailable; retry later", headers={"Retry-After": "5"})


def _parse(body: bytes) -> list[Receipt]:
    """One receipt or a list of them; errors name the field (`2.type` in a list)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as err:  # api/limits.py refuses deep bodies before
        raise ApiError(422, f"body is not valid JSON: {err}", field="body") from err
    if isinstance(data, list) and len(data) > MAX_RECEIPTS:
        raise ApiError(422, f"at most {MAX_RECEIPTS} receipts per request", field="body")
    try:
        if isinstance(data, list):
            return _RECEIPT_LIST.validate_python(data)
        return [Receipt.model_validate(data)]
    except ValidationError as err:
        detail = field_errors(err.errors())[0]
        raise ApiError(422, detail["reason"], field=detail["field"]) from err


async def apply_receipt(
    sessions: async_sessionmaker[AsyncSession],
    temporal: TemporalConnection,
    task_queue: str,
    provider: str,
    receipt: Receipt,
    rules: GuardrailSettings,
    now: datetime | None = None,
) -> ReceiptResult:
    """Apply the receipt to the ledger once, then store and route the event it became.

    The event is routed on a replay too if it never was (Temporal was down the first time), and
    the journey drops an event id it has already seen, so it acts on each open or click once.
    """
    result = await record_receipt(
        sessions, provider, receipt, now or utcnow(), FeedbackRules(rules)
    )
    event = result.event
    if event is None:
        return result
    stored, _ = await store_event(sessions, event, utcnow())
    if stored.routed_at is not None:
        return result
    try:
        actions = await temporal.within_deadline(
            route_event(await temporal.client(), sessions, task_queue, event)
        )
    except RPCError as err:
        raise temporal_unavailable() from err
    routing = {"journeys": [action.model_dump(mode="json") for action in actions]}
    await mark_routed(sessions, event.event_id, routing, utcnow())
    return result
