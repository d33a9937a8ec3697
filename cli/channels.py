"""`journeyctl channels ...`: configured providers, signing a test receipt, a message's trail,
making and reading link tokens."""

import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from channels.link_tokens import LinkPurpose, LinkTokenError
from channels.settings import (
    ChannelSettings,
    HttpProviderSettings,
    TencentSmsSettings,
    TwilioSettings,
    WeChatSettings,
)
from channels.setup import link_tokens
from channels.signing import SIGNATURE_HEADER, signature_header
from models.channels import Channel
from settings import Settings
from storage.database import create_engine, session_factory
from storage.delivery_attempts import attempts_for_message
from storage.feedback import receipts_for_message
from storage.ledger import get_message

app = typer.Typer(no_args_is_help=True)
OUTBOX = "GET /v1/customers/{id}/outbox"


@app.callback()
def main() -> None:
    """Channel providers, receipt webhooks and the delivery trail of a message."""


@app.command()
def providers() -> None:
    """Which provider carries each channel, at what rate, and whether its receipts are accepted."""
    settings = Settings()
    config = settings.channels
    typer.echo(f"{'channel':8} {'provider':24} {'rate/s':>7}  receipts  where")
    for channel in Channel:
        http = config.http_provider(channel)
        if channel == Channel.EMAIL:
            smtp = bool(settings.smtp_host)
            name = "smtp" if smtp else "dev outbox"
            rate = f"{config.email.rate_per_second:g}" if smtp else "-"
            where = f"{settings.smtp_host}:{settings.smtp_port}" if smtp else OUTBOX
        elif http is None:
            name, rate, where = "dev outbox", "-", OUTBOX
        else:
            name = (
                f"{channel.value} ({http.protocol})"
                if isinstance(http, HttpProviderSettings)
                else http.provider
            )
            rate, where = f"{http.rate_per_second:g}", http.base_url
        receipts = "yes" if _receipts_accepted(config, channel) else "no"
        typer.echo(f"{channel.value:8} {name:24} {rate:>7}  {receipts:8}  {where}")
    typer.echo(f"tracked links, pixel and unsubscribe links under {config.public_base_url}")


def _receipts_accepted(config: ChannelSettings, channel: Channel) -> bool:
    """Whether some route takes this channel's receipts: the generic signed one, or the
    provider's own callbacks (docs/channels.md)."""
    if config.webhook_secret(channel.value):
        return True
    provider = config.http_provider(channel)
    match channel:
        case Channel.EMAIL:
            return config.email.sendgrid is not None or config.email.ses is not None
        case Channel.WECHAT:
            return isinstance(provider, WeChatSettings) and provider.server_token is not None
        case Channel.SMS if isinstance(provider, TwilioSettings):
            return True
        case Channel.SMS if isinstance(provider, TencentSmsSettings):
            return provider.callback_token is not None
    return False


@app.command()
def sign(
    provider: Annotated[str, typer.Argument(help="the channel whose webhook secret signs it")],
    body: Annotated[
        Path | None, typer.Option(help="file with the JSON body; standard input when left out")
    ] = None,
) -> None:
    """Print the signature header for a receipt body, to try POST /v1/webhooks/PROVIDER by hand."""
    secret = Settings().channels.webhook_secret(provider)
    if secret is None:
        raise typer.BadParameter(
            f"no webhook secret for {provider!r}: set CHANNELS__<CHANNEL>__WEBHOOK_SECRET",
            param_hint="PROVIDER",
        )
    raw = body.read_bytes() if body else sys.stdin.buffer.read()
    typer.echo(
        f"{SIGNATURE_HEADER}: {signature_header(secret.get_secret_value(), raw, int(time.time()))}"
    )


@app.command()
def trail(message_id: Annotated[str, typer.Argument(help="a ledger message id, m_...")]) -> None:
    """A message's ledger row, every provider call made for it and every receipt it got."""
    asyncio.run(_trail(Settings(), message_id))


async def _trail(settings: Settings, message_id: str) -> None:
    engine = create_engine(settings.resolved_database_url, settings.keyring())
    try:
        async with session_factory(engine)() as session:
            row = await get_message(session, message_id)
            if row is None:
                typer.echo(f"no message {message_id}", err=True)
                raise typer.Exit(1)
            attempts = await attempts_for_message(session, message_id)
            receipts = await receipts_for_message(session, message_id)
    finally:
        await engine.dispose()
    typer.echo(
        f"{row.message_id}  {row.journey}/{row.step}  {row.channel}  {row.status} ({row.reason})"
    )
    for a in attempts:
        ref = f"  ref {a.provider_ref}" if a.provider_ref else ""
        # "-": no provider was called (no address, no consent), or a row from before 0018.
        by = a.provider or "-"
        call = f"{a.channel:7} {by:9} {a.outcome:8} {a.reason}{ref}"
        typer.echo(f"  call     {a.at:%Y-%m-%d %H:%M:%S}  {call}")
    for r in receipts:
        typer.echo(f"  receipt  {r.occurred_at:%Y-%m-%d %H:%M:%S}  {r.provider:8} {r.type}")


@app.command("unsubscribe-link")
def unsubscribe_link(
    customer_id: Annotated[str, typer.Argument(help="the customer the link unsubscribes")],
) -> None:
    """Print a one-click unsubscribe link for a customer, made with the configured link keys,
    e.g. to try the unsubscribe page by hand."""
    settings = Settings()
    expires_at = datetime.now(UTC) + timedelta(days=settings.guardrails.unsubscribe_token_days)
    token = link_tokens(settings).make(LinkPurpose.UNSUBSCRIBE, expires_at, customer_id=customer_id)
    typer.echo(f"{settings.channels.public_base_url}/v1/unsubscribe/{token}")


@app.command("read-link")
def read_link(
    token: Annotated[str, typer.Argument(help="the token of a link (the last part of its path)")],
    purpose: Annotated[LinkPurpose, typer.Option(help="u: unsubscribe, c: click, o: open")],
) -> None:
    """What a link token says, if the configured keys read it (exit code 1 if they do not)."""
    try:
        claim = link_tokens(Settings()).read(token, purpose, datetime.now(UTC))
    except LinkTokenError as err:
        typer.echo(f"invalid: {err}")
        raise typer.Exit(1) from err
    typer.echo(claim.model_dump_json())
