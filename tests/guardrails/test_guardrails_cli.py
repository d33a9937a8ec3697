"""`journeyctl guardrails ...` through typer's test runner."""

import json
from pathlib import Path

from typer.testing import CliRunner

from cli.guardrails import app
from guardrails import Rule
from tests.guardrails.cases import SHANGHAI, contact, customer, local, request

runner = CliRunner()


def test_rules_prints_every_rule_in_a_markdown_table() -> None:
    result = runner.invoke(app, ["rules", "--markdown"])

    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("| ") and "`" in line]
    assert [row.split("`")[1] for row in rows] == [r.value for r in Rule if r != Rule.PASSED]
    assert "| 11 | `daily_cap` | defer to next day 09:00 | 3 per local day |" in result.output


def test_decide_explains_a_case_file(tmp_path: Path) -> None:
    history = [contact(local(SHANGHAI, 2026, 6, 10, h)) for h in (9, 12, 15)]
    case = {
        "request": request().model_dump(mode="json"),
        "customer": customer().model_dump(mode="json"),
        "history": [r.model_dump(mode="json") for r in history],
        "now": local(SHANGHAI, 2026, 6, 10, 18).isoformat(),
    }
    case_file = tmp_path / "case.json"
    case_file.write_text(json.dumps(case))

    result = runner.invoke(app, ["decide", str(case_file)])

    assert result.exit_code == 0, result.output
    assert "history: 3 records, 3 contacts" in result.output
    decision = json.loads(result.output[result.output.index("{\n") :])
    assert decision["outcome"] == "defer"
    assert decision["rule"] == "daily_cap"
    assert decision["until"] == "2026-06-11T01:00:00Z"


def test_the_readme_table_is_the_one_the_cli_prints() -> None:
    readme = (Path(__file__).parents[2] / "guardrails" / "README.md").read_text()
    table = runner.invoke(app, ["rules", "--markdown"]).output.splitlines()[:-1]

    assert "\n".join(table) in readme
