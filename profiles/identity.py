"""Resolving an event's identifiers to one customer: a deterministic identity graph.

Rules (docs/profile.md):
- Exact matches only, on the keyed hash of the normalised identifier (storage/identity.py).
- A customer id the backend gives is a *known* customer. A customer we mint for identifiers
  nobody knows yet is *anonymous* (`anon-` and a hash of the identifier: the same device always
  gets the same id, whichever API process sees it first).
- The event goes to the customer id it names; without one, to the known customer holding its
  strongest identifier (verified email, phone, openid; then the device; then unverified ones),
  else to the anonymous customer holding one, else to a new anonymous customer.
- An anonymous customer holding one of the event's identifiers is merged into that customer
  (anonymous browsing into the customer at login or signup), recorded with its reason.
- Two known customers are never merged. A device or an unverified identifier moves to the
  customer who shows it with a verified login (a shared device, an address that changed hands);
  a verified identifier of another known customer stays theirs, and the refusal is recorded.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from encryption import Keyring
from models.customers import CustomerProfile
from models.profiles import IdentifierKind
from storage.identity import (
    find_by_identifier,
    identifier_key,
    link_identifier,
    merge_customer,
    record_refusal,
)

ANONYMOUS_PREFIX = "anon-"


def is_anonymous(customer_id: str) -> bool:
    return customer_id.startswith(ANONYMOUS_PREFIX)


class Resolution(BaseModel):
    customer_id: str
    merged: list[str] = []
    refused: list[str] = []


async def resolve_identity(
    session: AsyncSession,
    keyring: Keyring,
    customer_id: str | None,
    identifiers: list[tuple[IdentifierKind, str, bool]],
    source: str,
    event_type: str,
    now: datetime,
) -> Resolution:
    """In the caller's transaction. `identifiers`: (kind, value, verified), strongest first."""
    found = [
        (kind, value, verified, await find_by_identifier(session, keyring, kind, value))
        for kind, value, verified in identifiers
    ]
    target = customer_id or _strongest_holder(found) or _minted(keyring, identifiers[0])
    resolution = Resolution(customer_id=target)
    for kind, value, verified, row in found:
        holder = row.customer_id if row is not None else None
        if holder is not None and holder != target:
            if is_anonymous(holder) and holder not in resolution.merged:
                reason = f"{event_type}:{kind.value}"
                await merge_customer(session, holder, target, reason, source, now)
                resolution.merged.append(holder)
            elif (
                not is_anonymous(holder)
                and row is not None
                and row.verified
                and (kind != IdentifierKind.DEVICE)
            ):
                reason = f"{kind.value}_verified_for_another_customer"
                await record_refusal(session, holder, target, reason, source, now)
                resolution.refused.append(holder)
                continue
        await link_identifier(session, keyring, kind, value, target, verified, source, now)
    return resolution


def _strongest_holder(found: Sequence[Sequence[Any]]) -> str | None:
    holders = [row for *_, row in found if row is not None]
    known = [row.customer_id for row in holders if not is_anonymous(row.customer_id)]
    if known:
        return known[0]
    return holders[0].customer_id if holders else None


def _minted(keyring: Keyring, identifier: tuple[IdentifierKind, str, bool]) -> str:
    kind, value, _ = identifier
    return ANONYMOUS_PREFIX + identifier_key(keyring, kind, value)[:24]


async def link_profile_identifiers(
    session: AsyncSession,
    keyring: Keyring,
    customer_id: str,
    profile: CustomerProfile,
    now: datetime,
) -> None:
    """The contact details a backend puts on a profile are that customer's verified identifiers,
    unless another customer holds one already: a profile update merges no one (events do)."""
    given = [
        (IdentifierKind.EMAIL, profile.email),
        (IdentifierKind.PHONE, profile.phone),
        (IdentifierKind.WECHAT_OPENID, profile.wechat_openid),
    ]
    for kind, value in given:
        if not value:
            continue
        row = await find_by_identifier(session, keyring, kind, str(value))
        if row is None or row.customer_id == customer_id:
            await link_identifier(
                session, keyring, kind, str(value), customer_id, True, "profile", now
            )
