"""`journeyctl catalog ...`: look products up in the live catalog the way the content step does."""

import asyncio
import time
from typing import Annotated

import typer
import uvicorn

from catalog.client import CatalogClient
from catalog.demo import DEMO_CATALOGUE, demo_catalog_app, load_demo_catalogue
from catalog.settings import CatalogSettings

app = typer.Typer(
    help="Live price and stock from the product catalog service.", no_args_is_help=True
)


@app.command()
def get(
    skus: Annotated[list[str], typer.Argument(help="One or more SKUs.")],
    base_url: Annotated[str, typer.Option(help="Catalog service root.")] = "http://127.0.0.1:8081",
    timeout: Annotated[float, typer.Option(help="Per-request timeout in seconds.")] = 2.0,
) -> None:
    """Print each product's live price, stock and availability ('unknown' if the catalog fails)."""
    settings = CatalogSettings(base_url=base_url, timeout_seconds=timeout)

    async def run() -> None:
        async with CatalogClient(settings) as catalog:
            for sku in skus:
                started = time.perf_counter()
                product = await catalog.get(sku)
                elapsed_ms = (time.perf_counter() - started) * 1000
                price = f"{product.price} {product.currency}" if product.price is not None else "-"
                stock = product.stock if product.stock is not None else "-"
                typer.echo(
                    f"{sku}\t{product.availability.value}\tprice={price}\tstock={stock}"
                    f"\t{elapsed_ms:.0f} ms\t{product.name}"
                )

    asyncio.run(run())


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8081,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
) -> None:
    """Serve the demo catalogue (real products of the Complete Journey baskets) as the catalog
    service; `journeyctl up` starts it when no CATALOG__BASE_URL is set."""
    products = load_demo_catalogue()
    typer.echo(f"demo catalog: {len(products):,} products from {DEMO_CATALOGUE.name} on :{port}")
    uvicorn.run(demo_catalog_app(products), host=host, port=port, log_config=None)
