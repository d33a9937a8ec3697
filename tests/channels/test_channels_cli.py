"""`journeyctl channels`: providers, signing a receipt by hand, a message's trail."""

import asyncio
from datetime import UTC, datetime

from typer.testing import CliRunner

from channels.signing import verify_signature
from cli.main import app
from guardrails import FeedbackRules, GuardrailSettings
from models.receipts import Receipt
from storage.database import create_engine, session_factory
from storage.delivery_attempts import AttemptOutcome, record_attempt
from storage.feedback import record_receipt
from tests.conftest import unique
from tests.reports import seed

runner = CliRunner()
SMS = {
    "CHANNELS__SMS__BASE_URL": "https://sms.example",
    "CHANNELS__SMS__RATE_PER_SECOND": "5",
    "CHANNELS__SMS__WEBHOOK_SECRET": "sms-receipts-secret-0123",
}


def test_providers_lists_what_carries_each_channel() -> None:
    result = runner.invoke(app, ["channels", "providers"], env=SMS)
    assert result.exit_code == 0, result.output
    [sms] = [line for line in result.output.splitlines() if line.startswith("sms")]
    assert sms.split() == ["sms", "sms", "(native)", "5", "yes", "https://sms.example"]
    [push] = [line for line in result.output.splitlines() if line.startswith("push")]
    assert "dev outbox" in push and " no " in push


def test_providers_names_the_provider_a_channel_is_set_to() -> None:
    twilio = {
        "CHANNELS__SMS__PROVIDER": "twilio",
        "CHANNELS__SMS__ACCOUNT_SID": "AC" + "0" * 32,
        "CHANNELS__SMS__AUTH_TOKEN": "token",
        "CHANNELS__SMS__FROM_NUMBER": "+15005550006",
    }
    result = runner.invoke(app, ["channels", "providers"], env=twilio)
    assert result.exit_code == 0, result.output
    [sms] = [line for line in result.output.splitlines() if line.startswith("sms")]
    assert sms.split() == ["sms", "twilio", "10", "yes", "https://api.twilio.com"]


def test_sign_prints_a_header_the_webhook_accepts() -> None:
    body = b'{"receipt_id": "r-1"}'
    result = runner.invoke(app, ["channels", "sign", "sms"], env=SMS, input=body)
    assert result.exit_code == 0, result.output
    name, value = result.output.strip().split(": ")
    assert name == "X-Journeys-Signature"
    verify_signature(SMS["CHANNELS__SMS__WEBHOOK_SECRET"], body, value, datetime.now(UTC), 60)
    unknown = runner.invoke(app, ["channels", "sign", "push"], env=SMS, input=body)
    assert unknown.exit_code == 2 and "WEBHOOK_SECRET" in unknown.output


async def test_trail_shows_the_calls_and_receipts_of_a_message(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    row = seed.message(unique("c"), now, channel="push", reason="delivered_after_failover")
    message_id = row.message_id
    async with sessions.begin() as session:
        session.add(row)
        await session.flush()
        await record_attempt(
            session,
            message_id,
            "sms",
            AttemptOutcome.FAILED,
            "invalid_number",
            now,
            provider="gateway",
        )
        await record_attempt(
            session, message_id, "push", AttemptOutcome.SENT, "accepted", now, "p-1", provider="fcm"
        )
    receipt = Receipt(receipt_id="r-1", type="delivered", message_id=message_id, occurred_at=now)
    await record_receipt(sessions, "push", receipt, now, FeedbackRules(GuardrailSettings()))
    await engine.dispose()

    result = await asyncio.to_thread(
        runner.invoke, app, ["channels", "trail", message_id], env={"DATABASE_URL": sqlite_url}
    )

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[-3:] == ["push", "sent", "(delivered_after_failover)"]
    assert lines[1].split()[3:] == ["sms", "gateway", "failed", "invalid_number"]
    assert lines[2].split()[3:] == ["push", "fcm", "sent", "accepted", "ref", "p-1"]
    assert lines[3].split()[3:] == ["push", "delivered"]
    missing = await asyncio.to_thread(
        runner.invoke, app, ["channels", "trail", "m_nope"], env={"DATABASE_URL": sqlite_url}
    )
    assert missing.exit_code == 1
