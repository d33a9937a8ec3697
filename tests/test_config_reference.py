"""docs/configuration.md is generated from the settings models and kept current."""

from typer.testing import CliRunner

from cli.config import REFERENCE, reference_sections, render_reference
from cli.main import app


def test_the_configuration_reference_is_current() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == render_reference(), (
        "docs/configuration.md is stale: run `journeyctl config reference`"
    )


def test_every_variable_has_a_meaning() -> None:
    missing = [
        f"{section.title} {v.name}"
        for section in reference_sections()
        for v in section.variables
        if not v.meaning
    ]
    assert not missing, "variables without a description= in their settings model: " + ", ".join(
        missing
    )


def test_the_reference_names_nested_and_provider_variables_as_pydantic_settings_reads_them(
    monkeypatch,
) -> None:
    names = {v.name for section in reference_sections() for v in section.variables}
    assert {"DATABASE_URL", "GUARDRAILS__DAILY_CAP", "CONTENT__LLM__BASE_URL"} <= names
    assert "CHANNELS__SMS__ACCOUNT_SID" in names  # the Twilio provider's field

    from settings import Settings

    monkeypatch.setenv("GUARDRAILS__DAILY_CAP", "5")
    assert Settings().guardrails.daily_cap == 5


def test_check_fails_on_a_stale_file(tmp_path) -> None:
    stale = tmp_path / "configuration.md"
    stale.write_text("# old\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["config", "reference", "--check", "--output", str(stale)])
    assert result.exit_code == 1
    assert "stale" in result.output
    written = CliRunner().invoke(app, ["config", "reference", "--output", str(stale)])
    assert written.exit_code == 0
    assert (
        CliRunner()
        .invoke(app, ["config", "reference", "--check", "--output", str(stale)])
        .exit_code
        == 0
    )
