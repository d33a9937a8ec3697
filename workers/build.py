"""Which workflows and activities a worker runs, with which clients."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.worker import Worker

from activities.decisions import DecisionActivities
from activities.delivery import DeliveryActivities
from channels.base import Sender
from channels.outbox import OutboxSender
from channels.smtp import SmtpSender
from models.channels import Channel
from settings import Settings
from workflows.journey import JOURNEY_WORKFLOWS


def senders_from_settings(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> dict[Channel, Sender]:
    """Email goes over SMTP when a relay is configured; every other channel to the dev outbox."""
    outbox = OutboxSender(sessions)
    senders: dict[Channel, Sender] = {channel: outbox for channel in Channel}
    if settings.smtp_host:
        senders[Channel.EMAIL] = SmtpSender(settings)
    return senders


def build_worker(
    client: Client, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> Worker:
    decisions = DecisionActivities(sessions)
    delivery = DeliveryActivities(sessions, senders_from_settings(settings, sessions))
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=list(JOURNEY_WORKFLOWS),
        activities=[decisions.prepare_message, delivery.deliver_message],
        # The SDK's default of 5 pollers, not the CPU, bounds throughput (see CONVENTIONS.md).
        max_concurrent_workflow_task_polls=20,
        max_concurrent_activity_task_polls=20,
    )
