"""RFC 8058 headers and the SMS opt-out text (the link tokens are tested in
tests/channels/test_channels_link_tokens.py)."""

import pytest

from guardrails import (
    is_sms_opt_out_reply,
    list_unsubscribe_headers,
    sms_opt_out_line,
)


def test_rfc_8058_headers() -> None:
    url = "https://shop.example/v1/unsubscribe/abc.def"

    assert list_unsubscribe_headers(url) == {
        "List-Unsubscribe": "<https://shop.example/v1/unsubscribe/abc.def>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert list_unsubscribe_headers(url, "unsubscribe@shop.example")["List-Unsubscribe"] == (
        "<https://shop.example/v1/unsubscribe/abc.def>, <mailto:unsubscribe@shop.example>"
    )
    assert "List-Unsubscribe" in list_unsubscribe_headers("http://127.0.0.1:8000/u/abc")


@pytest.mark.parametrize(
    "url",
    [
        "http://shop.example/u/abc",
        "/u/abc",
        "https://shop.example/u/a>b",
        "https://shop.example/u/abc\r\nBcc: x@y.example",
    ],
)
def test_headers_refuse_plain_http_relative_and_injected_links(url: str) -> None:
    with pytest.raises(ValueError):
        list_unsubscribe_headers(url)


@pytest.mark.parametrize(
    ("locale", "line"),
    [
        ("en", "Reply STOP to opt out"),
        ("en-US", "Reply STOP to opt out"),
        ("zh-CN", "回T退订"),
        ("zh_CN", "回T退订"),
        ("zh-Hans-CN", "回T退订"),
        ("zh-TW", "回T退訂"),
        ("zh-Hant-HK", "回T退訂"),
        ("fr-FR", "Reply STOP to opt out"),
    ],
)
def test_sms_opt_out_line_per_locale(locale: str, line: str) -> None:
    assert sms_opt_out_line(locale) == line


def test_opt_out_replies() -> None:
    for reply in ("STOP", " stop ", "Ｔ", "td", "退订", "Unsubscribe."):
        assert is_sms_opt_out_reply(reply), reply
    for reply in ("thanks", "stop sending me shoes", "TT", ""):
        assert not is_sms_opt_out_reply(reply), reply
