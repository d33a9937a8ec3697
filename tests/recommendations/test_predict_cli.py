"""`journeyctl recommendations predict` on real baskets with the shipped model."""

import csv
from collections import defaultdict
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from recommendations.model import SHIPPED_ARTIFACT, artifact_metadata
from recommendations.predict import OUTPUT_COLUMNS
from recommendations.ranker import Kind, Reason

BASKETS = Path(__file__).resolve().parents[3] / "shared" / "data" / "completejourney_baskets.csv"
runner = CliRunner()


def history_of(customers: int, target: Path) -> dict[str, set[str]]:
    """The first `customers` households' rows of the shared file, written to `target`."""
    bought: dict[str, set[str]] = defaultdict(set)
    with BASKETS.open(newline="") as source, target.open("w", newline="") as out:
        reader = csv.DictReader(source)
        writer = csv.DictWriter(out, fieldnames=reader.fieldnames)
        writer.writeheader()
        for row in reader:
            if row["customer_id"] in bought or len(bought) < customers:
                bought[row["customer_id"]].add(row["product_id"])
                writer.writerow(row)
    return bought


def predict(history: Path, output: Path, *options: str):
    command = ["recommendations", "predict", "--history", str(history), "--output", str(output)]
    return runner.invoke(app, [*command, *options])


def test_top_k_new_products_for_every_customer(tmp_path: Path) -> None:
    history, picks = tmp_path / "history.csv", tmp_path / "picks.csv"
    bought = history_of(12, history)
    result = predict(history, picks, "--k", "5")
    assert result.exit_code == 0, result.output
    assert "12/12 customers" in result.output
    with picks.open(newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == OUTPUT_COLUMNS
        rows = list(reader)
    by_customer: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_customer[row["customer_id"]].append(row)
    assert set(by_customer) == set(bought)
    for customer, mine in by_customer.items():
        assert [r["rank"] for r in mine] == ["1", "2", "3", "4", "5"]
        assert not {r["product_id"] for r in mine} & bought[customer]  # new to the customer
        assert {r["kind"] for r in mine} <= set(Kind)
        assert {r["reason_code"] for r in mine} <= set(Reason)
    assert {r["reason_code"] for r in rows} & {"bought_with", "in_your_category"}  # personal


def test_a_file_without_the_columns_is_refused(tmp_path: Path) -> None:
    history = tmp_path / "history.csv"
    history.write_text("customer_id,product_id\n1,2\n")
    result = predict(history, tmp_path / "o.csv")
    assert result.exit_code == 2
    assert "missing column(s)" in result.output
    assert "basket_id" in result.output


def test_the_shipped_artefact_records_its_data_and_figures() -> None:
    meta = artifact_metadata(SHIPPED_ARTIFACT)
    assert meta["trained_on"]["file"] == BASKETS.name
    test = meta["evaluation"]["test"]
    assert set(test["baselines"]) == {"popularity", "category_popularity"}
    assert test["repeats_within_48h"] == 0.0
