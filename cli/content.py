"""`journeyctl content ...`: check the shipped templates, preview them, write copy for a request."""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

from catalog.client import CatalogClient
from catalog.models import Availability, ProductSnapshot, unknown_product
from catalog.settings import CatalogSettings
from content.checks import check_copy
from content.copy_text import Copy
from content.fallback import render_fallback
from content.library import LANGUAGES, template_ids
from content.llm import LLMClient
from content.request import VARIANTS, ContentRequest, OfferTerms
from content.settings import ContentSettings, LLMSettings
from content.writer import write_copy
from models.benefits import BenefitKind
from models.channels import Channel

app = typer.Typer(help="Message copy: LLM, checks and fallback templates.", no_args_is_help=True)

_SAMPLE_ITEMS = {
    "live": [
        ProductSnapshot(
            sku="SAMPLE-1",
            name="Trail running shoe",
            category="shoes",
            price=Decimal("599"),
            stock=3,
            availability=Availability.LOW_STOCK,
        )
    ],
    "catalog down": [unknown_product("SAMPLE-1", "Trail running shoe", "shoes")],
}


def _sample_offer() -> OfferTerms:
    return OfferTerms(
        offer_id="sample",
        kind=BenefitKind.AMOUNT_OFF,
        value=Decimal(20),
        min_spend=Decimal(199),
        valid_until=datetime.now(UTC).replace(microsecond=0) + timedelta(days=2),
    )


@app.command()
def templates() -> None:
    """Check every shipped template on every channel, language and variant; exit 1 on a failure."""
    settings = ContentSettings()
    checked = failed = 0
    for template_id in sorted(template_ids()):
        for channel in Channel:
            for language in LANGUAGES:
                for variant in VARIANTS:
                    for items_name, items in _SAMPLE_ITEMS.items():
                        for offer in (None, _sample_offer()):
                            request = ContentRequest(
                                journey=template_id.split(".")[0],
                                stage="1",
                                channel=channel,
                                template_id=template_id,
                                locale=language,
                                variant=variant,
                                recent_items=items,
                                offer=offer,
                            )
                            _, result = check_copy(
                                render_fallback(request, settings), request, settings
                            )
                            checked += 1
                            if not result.ok:
                                failed += 1
                                typer.echo(
                                    f"FAIL {template_id} {channel.value} {language} {variant} "
                                    f"items={items_name} offer={offer is not None}: "
                                    f"{[f.detail for f in result.failures]}"
                                )
    typer.echo(f"{len(template_ids())} templates, {checked} renderings checked, {failed} failed")
    if failed:
        raise typer.Exit(1)


@app.command()
def preview(
    template_id: Annotated[str, typer.Argument(help="e.g. cart_abandonment.stage3")],
    channel: Annotated[Channel, typer.Option(help="Channel to lay the copy out for.")] = (
        Channel.PUSH
    ),
    locale: Annotated[str, typer.Option(help="zh* for Chinese, anything else English.")] = "zh-CN",
    variant: Annotated[str, typer.Option(help="rational or emotional.")] = "rational",
    offer: Annotated[bool, typer.Option(help="Include a sample 20-off-199 coupon.")] = True,
    catalog_down: Annotated[
        bool, typer.Option(help="Show the wording used when prices are unknown.")
    ] = False,
) -> None:
    """Render one fallback template with a sample context and print it with its check result."""
    settings = ContentSettings()
    request = ContentRequest(
        journey=template_id.split(".")[0],
        stage="1",
        channel=channel,
        template_id=template_id,
        locale=locale,
        variant=variant,
        recent_items=_SAMPLE_ITEMS["catalog down" if catalog_down else "live"],
        offer=_sample_offer() if offer else None,
    )
    copy, result = check_copy(render_fallback(request, settings), request, settings)
    _echo_copy(copy)
    typer.echo(f"checks: {'ok' if result.ok else [f.detail for f in result.failures]}")


@app.command()
def write(
    request_file: Annotated[Path, typer.Argument(help="JSON file holding a ContentRequest.")],
    llm_url: Annotated[
        str | None, typer.Option(help="OpenAI-compatible root, e.g. http://host/v1.")
    ] = None,
    model: Annotated[str, typer.Option(help="Model name sent to the server.")] = "gpt-4o-mini",
    api_key: Annotated[str | None, typer.Option(help="Bearer key for the LLM server.")] = None,
    timeout: Annotated[float, typer.Option(help="LLM timeout in seconds.")] = 8.0,
    catalog_url: Annotated[
        str, typer.Option(help="Catalog service root.")
    ] = "http://127.0.0.1:8081",
) -> None:
    """Write copy for one request through the LLM (or the template) and print how it was made."""
    request = ContentRequest.model_validate_json(request_file.read_text("utf-8"))
    llm_settings = LLMSettings(
        base_url=llm_url, model=model, api_key=api_key, timeout_seconds=timeout
    )
    settings = ContentSettings(llm=llm_settings)

    async def run() -> None:
        async with (
            LLMClient(settings.llm) as llm,
            CatalogClient(CatalogSettings(base_url=catalog_url)) as catalog,
        ):
            result = await write_copy(request, llm, catalog, None, settings)
        typer.echo(f"path: {result.path} ({result.template_version})")
        for attempt in result.attempts:
            for failure in attempt.failures:
                typer.echo(f"  {attempt.path} failed: {failure.reason.value}: {failure.detail}")
        _echo_copy(result.content)
        typer.echo(f"checks: {'ok' if result.checks.ok else result.checks.reasons}")
        typer.echo(f"content hash: {result.content_hash}")

    asyncio.run(run())


def _echo_copy(copy: Copy) -> None:
    typer.echo(f"title: {copy.title}")
    typer.echo("body:")
    for line in copy.body.splitlines():
        typer.echo(f"  {line}")
    typer.echo(f"cta: {copy.cta}")
    for disclaimer in copy.disclaimers:
        typer.echo(f"disclaimer: {disclaimer}")
