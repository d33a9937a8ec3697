from typer.testing import CliRunner

from cli.catalog import app
from tests.fakes.catalog_server import FakeCatalog


def test_get_prints_live_figures_and_unknown(fake_catalog: FakeCatalog) -> None:
    fake_catalog.set_product("SHOE-1", price="599", stock=3, name="Trail shoe")
    result = CliRunner().invoke(
        app, ["get", "SHOE-1", "NOPE", "--base-url", fake_catalog.base_url, "--timeout", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "SHOE-1\tlow_stock\tprice=599.00 CNY\tstock=3" in result.output
    assert "NOPE\tunknown\tprice=-\tstock=-" in result.output
