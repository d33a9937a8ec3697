from tests.fakes.catalog_server import fake_catalog  # noqa: F401 - fixture
