"""Signed report links: what they carry, and every way one is refused."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from reports.links import ReportLinkError, ReportQuery, make_report_token, verify_report_token

SECRET = "a-secret-long-enough-for-hmac"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_a_link_carries_its_query_until_it_expires() -> None:
    query = ReportQuery(
        since=datetime(2026, 2, 1, tzinfo=UTC),
        until=datetime(2026, 3, 1, tzinfo=UTC),
        journey="winback",
    )
    token = make_report_token(query, SECRET, NOW + timedelta(minutes=15))

    assert verify_report_token(token, SECRET, NOW) == query
    assert verify_report_token(token, SECRET, NOW + timedelta(minutes=14)) == query
    with pytest.raises(ReportLinkError, match="expired"):
        verify_report_token(token, SECRET, NOW + timedelta(minutes=15))


def test_a_link_with_defaults_carries_no_period() -> None:
    token = make_report_token(ReportQuery(), SECRET, NOW + timedelta(minutes=1))
    assert verify_report_token(token, SECRET, NOW) == ReportQuery()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature
        lambda t: "eyJ2IjoxLCJlIjo5OTk5OTk5OTk5fQ" + t[t.index(".") :],  # payload swapped
        lambda t: t.replace(".", ""),
        lambda t: t + ".x",
        lambda t: "%%%." + t.split(".")[1],
        lambda t: "x" * 2000,
    ],
)
def test_a_tampered_or_malformed_link_is_refused(tamper: Callable[[str], str]) -> None:
    token = make_report_token(ReportQuery(journey="welcome"), SECRET, NOW + timedelta(hours=1))
    with pytest.raises(ReportLinkError):
        verify_report_token(tamper(token), SECRET, NOW)


def test_a_link_signed_with_another_key_is_refused() -> None:
    token = make_report_token(ReportQuery(), "another-secret-entirely", NOW + timedelta(hours=1))
    with pytest.raises(ReportLinkError, match="signature"):
        verify_report_token(token, SECRET, NOW)
