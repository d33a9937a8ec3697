from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.dormancy import app
from dormancy.labels import DormancyTier
from dormancy.settings import DormancySettings
from lab.dormancy.cdnow import (
    customers_at_split,
    default_cdnow_path,
    load_cdnow,
    return_rates_ordered,
    split_date,
    tier_return_rates,
)

CDNOW = default_cdnow_path()


@pytest.fixture(scope="module")
def transactions():
    return load_cdnow(CDNOW)


def test_the_real_log_loads(transactions) -> None:
    assert len(transactions) == 69_659
    assert transactions["customer_id"].nunique() == 23_570
    assert str(split_date(transactions).date()) == "1997-09-30"


def test_heavier_tiers_return_less_in_the_second_half(transactions) -> None:
    customers = customers_at_split(transactions, split_date(transactions))
    rates = tier_return_rates(customers, DormancySettings())
    assert [rate.tier for rate in rates] == list(DormancyTier)
    assert return_rates_ordered(rates)
    for window in (30, 60, 90):
        shares = [rate.returned_within_share[window] for rate in rates]
        assert shares == sorted(shares, reverse=True)
    assert sum(rate.customers for rate in rates) == 23_570


def test_ordering_check_catches_an_inversion(transactions) -> None:
    customers = customers_at_split(transactions, split_date(transactions))
    rates = tier_return_rates(customers, DormancySettings())
    swapped = [rates[0], rates[2], rates[1], rates[3]]
    assert not return_rates_ordered(swapped)


def test_validate_command_prints_tiers_and_calibration() -> None:
    result = CliRunner().invoke(app, ["validate", "--path", str(CDNOW)])
    assert result.exit_code == 0, result.output
    assert "tier return rates ordered as expected" in result.output
    assert "calibration by P(still active) bin" in result.output
    assert "heavy        18232" in result.output


def test_a_file_without_purchase_rows_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "cdnow.txt"
    bad.write_text("customer_id date number_of_cds dollar_value\nabc def ghi jkl\n")
    with pytest.raises(ValueError, match="no rows of the form"):
        load_cdnow(bad)
