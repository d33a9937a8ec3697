from collections.abc import AsyncIterator

import pytest_asyncio

from catalog import CatalogClient, CatalogSettings
from tests.fakes.catalog_server import (
    FakeCatalog,
    fake_catalog,  # noqa: F401 - fixture
)
from tests.fakes.llm_server import fake_llm  # noqa: F401 - fixture


@pytest_asyncio.fixture
async def catalog(fake_catalog: FakeCatalog) -> AsyncIterator[CatalogClient]:  # noqa: F811
    """A catalog client on the fake catalog, which sells the Trail shoe (SHOE-1) at 599. No test
    here waits for the catalog's deadline, so it is roomy: a loaded CI machine must not turn a
    slow answer into a catalog outage."""
    fake_catalog.set_product("SHOE-1", price="599", stock=3, name="Trail shoe", category="shoes")
    async with CatalogClient(
        CatalogSettings(base_url=fake_catalog.base_url, timeout_seconds=3.0)
    ) as client:
        yield client
