"""Consent changes that must reach every channel and every running journey at once.

What an unsubscribe or a complaint does to the customer's state is the guardrails' to decide
(guardrails.FeedbackRules, passed in as `rules`); these functions read and write the rows under
the customer's decision lock.
"""

from datetime import datetime
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.channels import Channel
from models.messages import MessageStatus
from models.tables import CustomerRow, MessageRow
from storage.customers import lock_customer


class FeedbackRules(Protocol):
    def silence_after(self, silence_until: datetime | None, at: datetime) -> datetime: ...

    def blacklists(self, complaints: int) -> bool: ...


async def unsubscribe(
    session: AsyncSession,
    customer_id: str,
    channel: Channel | None,
    now: datetime,
    rules: FeedbackRules,
) -> bool:
    """Withdraw consent for one channel or all (None), silence interruptive channels, and
    suppress every message decided but not yet handed to a provider. False: unknown customer.

    Runs under the customer's decision lock, so a decision racing with it sees it whole.
    """
    row = await lock_customer(session, customer_id)
    if row is None:
        return False
    channels = [channel] if channel is not None else list(Channel)
    row.unsubscribed_channels = sorted({*row.unsubscribed_channels, *channels})
    row.consent = {**row.consent, **{c.value: False for c in channels}}
    row.silence_until = rules.silence_after(row.silence_until, now)
    await _suppress_undelivered(session, customer_id, channels, "unsubscribed", now)
    # The link does not say which message it came from: the unsubscribe is counted against the
    # latest message delivered on those channels, the one the customer most likely acted on.
    latest = await session.scalar(
        select(MessageRow)
        .where(
            MessageRow.customer_id == customer_id,
            MessageRow.status == MessageStatus.SENT,
            MessageRow.channel.in_([c.value for c in channels]),
        )
        .order_by(MessageRow.created_at.desc())
        .limit(1)
    )
    if latest is not None and latest.unsubscribed_at is None:
        latest.unsubscribed_at = now
    return True


async def record_complaint(
    session: AsyncSession, message: MessageRow, at: datetime, rules: FeedbackRules
) -> None:
    """Record a complaint on its message, and the silence and blacklist `rules` decide."""
    row = await lock_customer(session, message.customer_id)
    if row is None or message.complained_at is not None:
        return
    message.complained_at = at
    await session.flush()
    complaints = await session.scalar(
        select(func.count())
        .select_from(MessageRow)
        .where(MessageRow.customer_id == row.customer_id, MessageRow.complained_at.is_not(None))
    )
    row.silence_until = rules.silence_after(row.silence_until, at)
    if rules.blacklists(complaints or 0):
        row.blacklisted = True
        await _suppress_undelivered(session, row.customer_id, list(Channel), "blacklisted", at)


async def _suppress_undelivered(
    session: AsyncSession, customer_id: str, channels: list[Channel], reason: str, now: datetime
) -> None:
    # A row whose delivery already started is in the provider's hands; delivery settles it.
    await session.execute(
        update(MessageRow)
        .where(
            MessageRow.customer_id == customer_id,
            MessageRow.status == MessageStatus.PENDING,
            MessageRow.delivery_started_at.is_(None),
            MessageRow.channel.in_([c.value for c in channels]),
        )
        .values(status=MessageStatus.SUPPRESSED, reason=reason, rule="consent", updated_at=now)
    )


async def set_consent(
    session: AsyncSession, customer_id: str, consent: dict[Channel, bool], now: datetime
) -> CustomerRow | None:
    """Merge consent changes; withdrawing one suppresses that channel's undelivered messages."""
    row = await lock_customer(session, customer_id)
    if row is None:
        return None
    row.consent = {**row.consent, **{c.value: v for c, v in consent.items()}}
    given = {c.value for c, v in consent.items() if v}
    row.unsubscribed_channels = [c for c in row.unsubscribed_channels if c not in given]
    row.updated_at = now
    withdrawn = [c for c, v in consent.items() if not v]
    if withdrawn:
        await _suppress_undelivered(session, customer_id, withdrawn, "consent_withdrawn", now)
    return row
