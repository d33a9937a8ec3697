"""The identity graph's records: identifiers by keyed hash, merges, and moving a customer's
records under another id.

An identifier is looked up only through `identifier_key` (an HMAC-SHA256 of the normalised
value under the keyring's lookup key, encryption/keyring.py): the table never holds an email,
phone, openid or device id.
"""

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from encryption import Keyring, normalise_email, normalise_phone
from models.profiles import IdentifierKind
from models.tables import (
    ActiveJourneyRow,
    CustomerIdentityRow,
    CustomerRow,
    CustomerScoreRow,
    CustomerTagRow,
    EventRow,
    IdentityMergeRow,
    JourneyEntryRow,
    MessageRow,
    OutboxRow,
    ProfileQueueRow,
    ReceiptRow,
    SegmentEntryRow,
    SegmentMemberRow,
    TagChangeRow,
)
from storage.database import rowcount


def identifier_key(keyring: Keyring, kind: IdentifierKind, value: str) -> str:
    """The keyed hash (under the keyring's lookup key, as the contact columns' own hashes) of
    the identifier's normalised value, tagged with its kind."""
    return keyring.lookup_hash(f"{kind.value}:{_normalised(kind, value)}")


def _normalised(kind: IdentifierKind, value: str) -> str:
    if kind == IdentifierKind.EMAIL:
        return normalise_email(value)
    if kind == IdentifierKind.PHONE:
        return normalise_phone(value)
    return value.strip()


async def find_by_identifier(
    session: AsyncSession, keyring: Keyring, kind: IdentifierKind, value: str
) -> CustomerIdentityRow | None:
    return await session.get(
        CustomerIdentityRow, (kind.value, identifier_key(keyring, kind, value))
    )


async def link_identifier(
    session: AsyncSession,
    keyring: Keyring,
    kind: IdentifierKind,
    value: str,
    customer_id: str,
    verified: bool,
    source: str,
    now: datetime,
) -> None:
    """Tie the identifier to the customer (moving it from whoever held it: the caller decided)."""
    key = identifier_key(keyring, kind, value)
    row = await session.get(CustomerIdentityRow, (kind.value, key))
    if row is None:
        session.add(
            CustomerIdentityRow(
                kind=kind.value,
                key=key,
                customer_id=customer_id,
                verified=verified,
                linked_at=now,
                source=source,
            )
        )
        await session.flush()
    elif row.customer_id == customer_id:
        row.verified = row.verified or verified
    else:
        row.customer_id, row.verified, row.linked_at, row.source = (
            customer_id,
            verified,
            now,
            source,
        )


async def identities_of(session: AsyncSession, customer_id: str) -> list[CustomerIdentityRow]:
    rows = await session.scalars(
        select(CustomerIdentityRow)
        .where(CustomerIdentityRow.customer_id == customer_id)
        .order_by(CustomerIdentityRow.linked_at)
    )
    return list(rows)


async def merges_of(session: AsyncSession, customer_id: str) -> list[IdentityMergeRow]:
    rows = await session.scalars(
        select(IdentityMergeRow)
        .where(
            (IdentityMergeRow.into_id == customer_id) | (IdentityMergeRow.merged_id == customer_id)
        )
        .order_by(IdentityMergeRow.at, IdentityMergeRow.id)
    )
    return list(rows)


async def record_refusal(
    session: AsyncSession, held_by: str, claimed_by: str, reason: str, source: str, now: datetime
) -> None:
    session.add(
        IdentityMergeRow(
            merged_id=claimed_by,
            into_id=held_by,
            outcome="refused",
            reason=reason,
            source=source,
            detail={},
            at=now,
            journeys_moved_at=None,
        )
    )


# Rows keyed by customer that follow the person: their history, ledger, journeys' entries.
_MOVED = (
    (EventRow, "events"),
    (MessageRow, "messages"),
    (OutboxRow, "outbox"),
    (ReceiptRow, "receipts"),
    (JourneyEntryRow, "journey_entries"),
    (TagChangeRow, "tag_changes"),
    (SegmentEntryRow, "segment_entries"),
    (CustomerIdentityRow, "identities"),
)
# Rows that are recomputed for the surviving customer instead.
_DROPPED = (CustomerTagRow, CustomerScoreRow, SegmentMemberRow, ProfileQueueRow)


async def merge_customer(
    session: AsyncSession, merged_id: str, into_id: str, reason: str, source: str, now: datetime
) -> IdentityMergeRow:
    """Move everything of `merged_id` (an anonymous customer) under `into_id`, in the caller's
    transaction, so caps, consent and history apply to the merged person at once: events,
    ledger, outbox, receipts, journey entries, tag history, segment entries and identifiers.
    Its tags, scores and memberships are dropped (the survivor's are recomputed); the journeys
    it may be running are listed in the merge record, to be moved over (api/identity.py).
    A withdrawal of consent it made carries over; its consent grants do not."""
    detail: dict[str, object] = {}
    for table, name in _MOVED:
        moved = await session.execute(
            update(table).where(table.customer_id == merged_id).values(customer_id=into_id)
        )
        detail[name] = rowcount(moved)
    for dropped in _DROPPED:
        await session.execute(delete(dropped).where(dropped.customer_id == merged_id))
    running = await session.scalars(
        select(ActiveJourneyRow.journey).where(ActiveJourneyRow.customer_id == merged_id)
    )
    detail["journeys"] = sorted(running)
    await session.execute(delete(ActiveJourneyRow).where(ActiveJourneyRow.customer_id == merged_id))
    await _carry_withdrawals(session, merged_id, into_id, now)
    merge = IdentityMergeRow(
        merged_id=merged_id,
        into_id=into_id,
        outcome="merged",
        reason=reason,
        source=source,
        detail=detail,
        at=now,
        journeys_moved_at=None if detail["journeys"] else now,
    )
    session.add(merge)
    await session.flush()
    return merge


async def _carry_withdrawals(
    session: AsyncSession, merged_id: str, into_id: str, now: datetime
) -> None:
    merged = await session.get(CustomerRow, merged_id)
    if merged is None:
        return
    into = await session.get(CustomerRow, into_id)
    if into is None:
        # The survivor has no profile yet: the merged one's becomes it.
        await session.execute(
            update(CustomerRow).where(CustomerRow.customer_id == merged_id).values(
                customer_id=into_id, updated_at=now
            )
        )  # fmt: skip
        return
    withdrawn = set(merged.unsubscribed_channels or [])
    into.unsubscribed_channels = sorted({*(into.unsubscribed_channels or []), *withdrawn})
    into.consent = {**into.consent, **{channel: False for channel in withdrawn}}
    into.silence_until = max(filter(None, [into.silence_until, merged.silence_until]), default=None)
    into.blacklisted = bool(into.blacklisted or merged.blacklisted)
    into.updated_at = now
    await session.delete(merged)


async def pending_journey_moves(session: AsyncSession, into_id: str) -> list[IdentityMergeRow]:
    rows = await session.scalars(
        select(IdentityMergeRow).where(
            IdentityMergeRow.into_id == into_id,
            IdentityMergeRow.outcome == "merged",
            IdentityMergeRow.journeys_moved_at.is_(None),
        )
    )
    return list(rows)


async def journeys_moved(session: AsyncSession, merge_id: int, now: datetime) -> None:
    await session.execute(
        update(IdentityMergeRow)
        .where(IdentityMergeRow.id == merge_id)
        .values(journeys_moved_at=now)
    )


async def forget_entry(session: AsyncSession, workflow_id: str, entered_at: datetime) -> None:
    """The entry of a journey run ended by a merge: its successor under the surviving id enters
    anew in its place."""
    await session.execute(
        delete(JourneyEntryRow).where(
            JourneyEntryRow.workflow_id == workflow_id, JourneyEntryRow.entered_at == entered_at
        )
    )
