import time
from decimal import Decimal

import pytest
from pydantic import ValidationError

from catalog import Availability, CatalogClient, CatalogSettings
from tests.fakes.catalog_server import FakeCatalog, start_fake_catalog


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def client_for(fake: FakeCatalog, clock: Clock | None = None, **overrides: object) -> CatalogClient:
    # 2 s: no answer is late on a loaded machine unless the test makes it so.
    options: dict[str, object] = {"timeout_seconds": 2.0, **overrides}
    settings = CatalogSettings(base_url=fake.base_url, **options)
    return CatalogClient(settings, clock=clock or Clock())


async def test_reads_price_stock_and_availability(fake_catalog: FakeCatalog) -> None:
    fake_catalog.set_product("SHOE-1", price="599", stock=40, name="Trail shoe", category="shoes")
    fake_catalog.set_product("SOCK-2", price="39.9", stock=2, name="Wool socks")
    fake_catalog.set_product("CAP-3", price="99", stock=0, name="Cap")
    async with client_for(fake_catalog) as catalog:
        found = await catalog.get_many(["SHOE-1", "SOCK-2", "CAP-3", "SHOE-1"])
    assert list(found) == ["SHOE-1", "SOCK-2", "CAP-3"]
    shoe = found["SHOE-1"]
    assert (shoe.price, shoe.currency, shoe.stock, shoe.name, shoe.category) == (
        Decimal("599.00"),
        "CNY",
        40,
        "Trail shoe",
        "shoes",
    )
    assert shoe.availability is Availability.IN_STOCK
    assert found["SOCK-2"].price == Decimal("39.90")
    assert found["SOCK-2"].availability is Availability.LOW_STOCK
    assert found["CAP-3"].availability is Availability.OUT_OF_STOCK
    assert fake_catalog.hits["SHOE-1"] == 1


async def test_answers_from_cache_until_the_ttl_passes(fake_catalog: FakeCatalog) -> None:
    fake_catalog.set_product("SHOE-1", price="599", stock=40)
    clock = Clock()
    async with client_for(fake_catalog, clock) as catalog:
        await catalog.get("SHOE-1")
        fake_catalog.set_price("SHOE-1", "549")
        clock.now += 299
        assert (await catalog.get("SHOE-1")).price == Decimal("599")
        assert fake_catalog.hits["SHOE-1"] == 1
        clock.now += 2
        assert (await catalog.get("SHOE-1")).price == Decimal("549")
        assert fake_catalog.hits["SHOE-1"] == 2


async def test_fresh_read_bypasses_and_refreshes_the_cache(fake_catalog: FakeCatalog) -> None:
    fake_catalog.set_product("SHOE-1", price="599", stock=40)
    async with client_for(fake_catalog) as catalog:
        await catalog.get("SHOE-1")
        fake_catalog.set_price("SHOE-1", "549")
        assert (await catalog.get("SHOE-1", fresh=True)).price == Decimal("549")
        assert (await catalog.get("SHOE-1")).price == Decimal("549")
    assert fake_catalog.hits["SHOE-1"] == 2


def test_ttl_is_kept_within_five_to_ten_minutes() -> None:
    assert CatalogSettings().cache_ttl_seconds == 300
    CatalogSettings(cache_ttl_seconds=600)
    for outside in (60, 601):
        with pytest.raises(ValidationError):
            CatalogSettings(cache_ttl_seconds=outside)


async def test_catalog_down_degrades_to_unknown_and_recovers(fake_catalog: FakeCatalog) -> None:
    fake_catalog.set_product("SHOE-1", price="599", stock=40, name="Trail shoe")
    clock = Clock()
    async with client_for(fake_catalog, clock) as catalog:
        fake_catalog.go_down()
        down = await catalog.get("SHOE-1")
        assert down.availability is Availability.UNKNOWN
        assert (down.price, down.stock) == (None, None)
        # A down catalog is asked once per retry window, not once per message.
        await catalog.get("SHOE-1")
        assert fake_catalog.hits["SHOE-1"] == 1
        fake_catalog.come_back()
        clock.now += 31
        back = await catalog.get("SHOE-1")
    assert back.availability is Availability.IN_STOCK
    assert back.price == Decimal("599")


async def test_timeout_degrades_within_the_configured_time(fake_catalog: FakeCatalog) -> None:
    fake_catalog.set_product("SHOE-1", price="599", stock=40)
    fake_catalog.delay_seconds = 5
    async with client_for(fake_catalog, timeout_seconds=0.5) as catalog:
        started = time.monotonic()
        snapshot = await catalog.get("SHOE-1")
        elapsed = time.monotonic() - started
    assert snapshot.availability is Availability.UNKNOWN
    assert elapsed < 2


async def test_unreachable_unknown_sku_and_bad_payload_are_unknown() -> None:
    fake = start_fake_catalog()
    fake.set_product("BAD-1", price="10", stock=-1)  # invalid: negative stock
    async with client_for(fake) as catalog:
        assert not (await catalog.get("NOPE")).known
        assert not (await catalog.get("BAD-1")).known
    fake.close()
    async with client_for(fake) as catalog:  # nothing listens on the port any more
        assert not (await catalog.get("SHOE-1")).known
