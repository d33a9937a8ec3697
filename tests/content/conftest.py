from tests.fakes.catalog_server import fake_catalog  # noqa: F401 - fixture
from tests.fakes.llm_server import fake_llm  # noqa: F401 - fixture
