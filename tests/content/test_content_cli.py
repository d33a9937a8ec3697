import json
from pathlib import Path

from typer.testing import CliRunner

from cli.content import app
from tests.fakes.catalog_server import FakeCatalog
from tests.fakes.llm_server import FakeLLM

runner = CliRunner()


def test_templates_command_checks_every_shipped_rendering() -> None:
    result = runner.invoke(app, ["templates"])
    assert result.exit_code == 0, result.output
    assert "14 templates, 1120 renderings checked, 0 failed" in result.output


def test_preview_prints_the_copy_and_its_checks() -> None:
    result = runner.invoke(
        app, ["preview", "cart_abandonment.stage3", "--channel", "sms", "--locale", "en"]
    )
    assert result.exit_code == 0, result.output
    assert "Your cart offer ends soon. Code {{coupon_code}}. Reply TD to opt out" in result.output
    assert "checks: ok" in result.output


def test_write_command_reports_the_path_and_reasons(
    tmp_path: Path, fake_llm: FakeLLM, fake_catalog: FakeCatalog
) -> None:
    fake_catalog.set_product("SHOE-1", price="599", stock=3, name="Trail shoe")
    fake_llm.queue("wrong_price", "good")
    request = {
        "journey": "price_drop",
        "stage": "1",
        "channel": "push",
        "template_id": "price_drop",
        "locale": "en",
        "recent_items": [{"sku": "SHOE-1"}],
    }
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request))
    args = ["write", str(path), "--llm-url", fake_llm.base_url, "--catalog-url"]
    result = runner.invoke(app, [*args, fake_catalog.base_url, "--timeout", "1"])
    assert result.exit_code == 0, result.output
    assert "path: llm_retry (prompt-v2)" in result.output
    assert "llm failed: price_mismatch" in result.output
    assert "Trail shoe: ¥599" in result.output
