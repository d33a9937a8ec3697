"""Personal data: none in Temporal histories (ids travel, and every payload is encrypted),
contact details encrypted at rest and found by keyed hash, keys rotated, and a customer's data
exported or erased on request."""

import asyncio
import json
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from google.protobuf.message import Message
from sqlalchemy import text
from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import History
from temporalio.client import WorkflowExecutionStatus, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from encryption import Keyring
from models.customers import CustomerProfile
from ops.history_export import decode_history
from storage.audit import audit_entries
from storage.contacts import customers_with_email, customers_with_phone, rekey_contacts
from storage.customers import get_customer, upsert_customer
from storage.database import alembic_config, create_engine, migrate, session_factory
from tests.conftest import DATA_CONVERTER, Stack, unique
from tests.journey_helpers import (
    cart,
    journey,
    midday_timezone,
    post_event,
    put_customer,
    run_to_end,
)
from tests.ops.helpers import cli_env, journeyctl

FIRST, LAST = "Adelheid", "Quintessenz"


def person(customer_id: str) -> dict[str, Any]:
    return {
        "email": f"{customer_id}.adelheid@example.com",
        "phone": "+86 138-0013-" + customer_id[-4:].translate(str.maketrans("abcdef", "123456")),
        "wechat_openid": f"oWx-{customer_id}-openid",
        "push_token": f"fcm:{customer_id}:token",
        "attributes": {"first_name": FIRST, "last_name": LAST, "member_tier": "gold"},
    }


def personal_strings(customer_id: str) -> list[str]:
    data = person(customer_id)
    digits = "".join(ch for ch in data["phone"] if ch.isdigit())
    return [data["email"], digits, data["wechat_openid"], data["push_token"], FIRST, LAST]


def everything_readable(message: Message) -> str:
    """The history as JSON, with every payload's bytes also as text (JSON shows them base64)."""
    texts: list[str] = []

    def walk(node: Message) -> None:
        if isinstance(node, Payload):
            texts.append(node.data.decode("utf-8", "ignore"))
            texts.extend(v.decode("utf-8", "ignore") for v in node.metadata.values())
        for field, value in node.ListFields():
            if field.message_type is None:
                continue
            if field.message_type.GetOptions().map_entry:
                for item in value.values():
                    if isinstance(item, Message):
                        walk(item)
            elif field.is_repeated:
                for item in value:
                    walk(item)
            else:
                walk(value)

    walk(message)
    return " ".join(texts)


def history_text(history: WorkflowHistory) -> str:
    return history.to_json() + everything_readable(History(events=history.events))


async def test_no_personal_data_in_temporal_histories_in_clear_or_decoded(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    customers = [unique("c") for _ in range(2)]
    for customer_id in customers:
        await put_customer(
            stack,
            customer_id,
            **person(customer_id),
            consent={c: True for c in ("email", "sms", "push", "inapp", "wechat")},
            timezone=midday_timezone(),
        )
    with temporal_env.with_time_skipping_disabled():
        for customer_id in customers:
            await post_event(stack, customer_id, "signup", {"interest_categories": ["linen"]})
            await post_event(stack, customer_id, "cart_updated", cart())
    handles = [
        journey(stack, kind, customer_id)
        for customer_id in customers
        for kind in ("welcome", "cart_abandonment")
    ]
    states = await asyncio.gather(*(run_to_end(temporal_env, handle) for handle in handles))
    assert all(state.messages for state in states)  # they sent: copy and addresses were used

    for handle, customer_id in zip(handles, [c for c in customers for _ in range(2)], strict=True):
        stored = await handle.fetch_history()
        as_stored = history_text(stored)
        assert "binary/encrypted" in as_stored
        decoded = history_text(await decode_history(stored, DATA_CONVERTER.payload_codec))
        # Decoded, the payloads read again (the facts the journey loaded, say); stored, they do not.
        assert "intent_score" in decoded and "intent_score" not in as_stored
        for secret in personal_strings(customer_id):
            assert secret not in as_stored, (handle.id, secret)
            # Not even for those who hold the keys: journeys carry ids, not personal data.
            assert secret not in decoded, (handle.id, secret)


async def test_contact_details_are_encrypted_at_rest_and_found_by_keyed_hash(api: Stack) -> None:
    customer_id, other = unique("c"), unique("c")
    data = person(customer_id)
    await put_customer(api, customer_id, **data)
    await put_customer(api, other, email=f"{other}@example.com")
    async with api.engine.connect() as connection:
        row = (
            await connection.execute(
                text(
                    "SELECT email, phone, push_token, wechat_openid, email_hash FROM customers "
                    "WHERE customer_id = :id"
                ),
                {"id": customer_id},
            )
        ).one()
    stored = " ".join(str(value) for value in row)
    for secret in personal_strings(customer_id)[:4]:
        assert secret not in stored
    assert all(str(value).startswith("enc1:dev:") for value in row[:4])
    profile = (await api.http.get(f"/v1/customers/{customer_id}")).json()
    assert (profile["email"], profile["phone"]) == (data["email"], data["phone"])

    async with api.sessions() as session:
        assert await customers_with_email(session, data["email"].upper() + " ") == [customer_id]
        compact = "+" + "".join(ch for ch in data["phone"] if ch.isdigit())
        assert await customers_with_phone(session, compact) == [customer_id]
        assert await customers_with_email(session, "nobody@example.com") == []


async def test_rotating_keys_and_rekeying_keeps_every_contact_readable(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'rotate.db'}"
    keys = {"2026-11": secrets.token_bytes(32), "2026-12": secrets.token_bytes(32)}
    lookup_old, lookup_new = secrets.token_bytes(32), secrets.token_bytes(32)
    await migrate(url)
    old = create_engine(url, Keyring({"2026-11": keys["2026-11"]}, "2026-11", lookup_old))
    async with session_factory(old).begin() as session:
        await upsert_customer(
            session,
            "c-1",
            CustomerProfile(email="ada@example.com", phone="+44 20 7946 0000"),
            datetime.now(UTC),
        )
    await old.dispose()

    rotated = create_engine(url, Keyring(keys, "2026-12", lookup_new))
    async with session_factory(rotated)() as session:
        assert (await get_customer(session, "c-1")).email == "ada@example.com"
        assert await customers_with_email(session, "ada@example.com") == []  # old lookup key
    assert await rekey_contacts(session_factory(rotated)) == 1
    async with rotated.connect() as connection:
        email = (await connection.execute(text("SELECT email FROM customers"))).scalar_one()
    assert email.startswith("enc1:2026-12:")
    await rotated.dispose()

    retired = create_engine(url, Keyring({"2026-12": keys["2026-12"]}, "2026-12", lookup_new))
    async with session_factory(retired)() as session:
        assert (await get_customer(session, "c-1")).phone == "+44 20 7946 0000"
        assert await customers_with_email(session, "ada@example.com") == ["c-1"]
    await retired.dispose()


async def test_migration_encrypts_contacts_stored_before_it(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    keyring = Keyring({"k": secrets.token_bytes(32)}, "k", secrets.token_bytes(32))
    config = alembic_config(url, keyring)
    await asyncio.to_thread(command.upgrade, config, "0006")
    engine = create_engine(url, keyring)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO customers (customer_id, timezone, locale, email, phone, consent, "
                "attributes, created_at, updated_at, unsubscribed_channels, blacklisted, "
                "decision_seq) VALUES ('c-old', 'UTC', 'en', 'old@example.com', '+1 555 0100', "
                "'{}', '{}', '2026-01-01', '2026-01-01', '[]', 0, 0)"
            )
        )
    await asyncio.to_thread(command.upgrade, config, "head")
    async with engine.connect() as connection:
        email = (await connection.execute(text("SELECT email FROM customers"))).scalar_one()
    assert email.startswith("enc1:k:") and "old@example.com" not in email
    async with session_factory(engine)() as session:
        assert (await get_customer(session, "c-old")).email == "old@example.com"
        assert await customers_with_phone(session, "+15550100") == ["c-old"]
    await asyncio.to_thread(command.downgrade, config, "0006")
    async with engine.connect() as connection:
        email = (await connection.execute(text("SELECT email FROM customers"))).scalar_one()
    assert email == "old@example.com"
    await engine.dispose()


async def test_export_then_erase_one_customer_everywhere(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    customer_id, bystander = unique("c"), unique("c")
    for who in (customer_id, bystander):
        await put_customer(
            stack, who, **person(who), consent={"inapp": True}, timezone=midday_timezone()
        )
    with temporal_env.with_time_skipping_disabled():
        for who in (customer_id, bystander):
            await post_event(stack, who, "signup", {})
        await post_event(stack, customer_id, "cart_updated", cart())  # waits 30 min: running
    handles = [journey(stack, "welcome", who) for who in (customer_id, bystander)]
    await asyncio.gather(*(run_to_end(temporal_env, handle) for handle in handles))
    env = cli_env(stack.client, stack.settings)

    exported = await journeyctl(env, "customers", "export", customer_id)
    assert exported.exit_code == 0, exported.output
    found = json.loads(exported.stdout)
    assert found["profile"]["email"] == person(customer_id)["email"]
    assert found["outbox"]  # the dev outbox's copies of what was delivered
    assert found["messages"] and found["events"] and found["journey_entries"]
    assert {run["workflow_id"] for run in found["journeys"]} == {
        f"welcome:{customer_id}",
        f"cart_abandonment:{customer_id}",
    }

    erased = await journeyctl(env, "customers", "erase", customer_id, "--yes")
    assert erased.exit_code == 0, erased.output
    assert "customers 1" in erased.output and "outbox 3" in erased.output
    assert "temporal_runs 2" in erased.output
    gone = await journeyctl(env, "customers", "export", customer_id)
    assert gone.exit_code == 1
    # The running journey was terminated, and Temporal took the request to delete every run (it
    # deletes in the background: the dev server keeps a deleted run describable for a while).
    try:
        waiting = await journey(stack, "cart_abandonment", customer_id).describe()
        assert waiting.status == WorkflowExecutionStatus.TERMINATED
    except RPCError as err:
        assert err.status == RPCStatusCode.NOT_FOUND
    async with stack.sessions() as session:
        for table in ("customers", "events", "messages", "outbox", "journey_entries"):
            count = await session.scalar(
                text(f"SELECT count(*) FROM {table} WHERE customer_id = :id"), {"id": customer_id}
            )
            assert count == 0, table
        assert await get_customer(session, bystander) is not None  # nobody else touched
        audit = [(e.action, e.target, e.actor) for e in await audit_entries(session)]
    assert ("customer.erase", customer_id) in [(a, t) for a, t, _ in audit]
    assert ("customer.export", customer_id) in [(a, t) for a, t, _ in audit]
    assert all(actor.startswith("cli:") for a, t, actor in audit if t == customer_id)
    await handles[1].describe()  # the bystander's journey is still there
