"""Logs are JSON lines, and never carry an email address or a phone number."""

import json
import logging

import pytest
import structlog

from logging_setup import configure_logging
from settings import Settings


def test_json_lines_with_ids_and_no_contact_details(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(Settings(log_format="json"))
    structlog.get_logger("test").info(
        "message decided",
        workflow_id="cart_abandonment:c-1",
        customer_id="c-1",
        recipient="ada.lovelace@example.com",
        note="called +86 138 0013 8000 and 415-555-0100",
        nested={"to": ["bob@example.org"]},
    )
    logging.getLogger("temporalio.worker").warning("activity for ada.lovelace@example.com failed")

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    assert len(lines) == 2
    ours, theirs = lines
    assert ours["workflow_id"] == "cart_abandonment:c-1" and ours["customer_id"] == "c-1"
    assert ours["recipient"] == "[email]"
    assert ours["note"] == "called [phone] and [phone]"
    assert ours["nested"] == {"to": ["[email]"]}
    assert theirs["event"] == "activity for [email] failed"


def test_dates_and_ids_are_not_mistaken_for_phone_numbers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(Settings(log_format="json"))
    structlog.get_logger("test").info(
        "woke", at="2026-11-24T09:40:36Z", message_id="m_e4f7d06c922012178f572f6e"
    )
    line = json.loads(capsys.readouterr().err.splitlines()[-1])
    assert line["at"] == "2026-11-24T09:40:36Z"
    assert line["message_id"] == "m_e4f7d06c922012178f572f6e"


def test_lines_below_the_level_are_dropped(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(Settings(log_format="json", log_level="warning"))
    log = structlog.get_logger("test")
    log.info("message decided", customer_id="c-1")
    log.warning("provider slow", customer_id="c-1")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    assert [line["event"] for line in lines] == ["provider slow"]
