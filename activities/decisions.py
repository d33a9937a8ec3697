"""Deciding a send: channel, copy and the ledger record, keyed by the step's idempotency key."""

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.templates import render
from channels.choice import reachable_channels
from models.channels import Channel
from models.journey_runs import PrepareMessage
from models.messages import MessageContent, MessageDecision, MessageStatus
from storage.customers import get_customer
from storage.ledger import get_message, message_id_for, record_decision, to_decision

log = structlog.get_logger()


class DecisionActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @activity.defn
    async def prepare_message(self, request: PrepareMessage) -> MessageDecision:
        message_id = message_id_for(request.idempotency_key)
        async with self._sessions() as session:
            existing = await get_message(session, message_id)
            if existing is not None:
                return to_decision(existing)
            customer = await get_customer(session, request.customer_id)

        channel: Channel | None = None
        content: MessageContent | None = None
        if customer is None:
            status, reason = MessageStatus.SUPPRESSED, "unknown_customer"
        elif not (channels := reachable_channels(customer, request.step.channels)):
            status, reason = MessageStatus.SUPPRESSED, "no_reachable_channel"
        else:
            channel = channels[0]
            content = render(request.step.template, channel, customer.locale, request.trigger_event)
            status, reason = MessageStatus.PENDING, "eligible"
        decision = await record_decision(
            self._sessions,
            MessageDecision(
                message_id=message_id,
                idempotency_key=request.idempotency_key,
                customer_id=request.customer_id,
                journey=request.journey,
                workflow_id=request.workflow_id,
                step=request.step.id,
                trigger_event_id=request.trigger_event.event_id,
                channel=channel,
                status=status,
                reason=reason,
                created_at=request.decided_at,
                content=content,
            ),
        )
        log.info(
            "message decided",
            workflow_id=decision.workflow_id,
            customer_id=decision.customer_id,
            message_id=decision.message_id,
            step=decision.step,
            channel=decision.channel,
            status=decision.status,
            reason=decision.reason,
        )
        return decision
