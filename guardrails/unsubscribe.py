"""One-click unsubscribe: RFC 8058 email headers and the SMS opt-out line and replies.

The link itself is a token of channels/link_tokens.py, the one format of every link a recipient
holds.
"""

import unicodedata
from urllib.parse import urlsplit


def list_unsubscribe_headers(url: str, mailto: str | None = None) -> dict[str, str]:
    """The RFC 8058 one-click headers for an email whose unsubscribe link is `url`.

    The link must be HTTPS (plain HTTP is accepted for loopback hosts, for local testing); the
    optional mailto address is listed after it for clients that only send mail.
    """
    parts = urlsplit(url)
    loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if not parts.netloc or not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
        raise ValueError("the one-click unsubscribe link must be an absolute https URL")
    uris = [url]
    if mailto is not None:
        uris.append(mailto if mailto.startswith("mailto:") else f"mailto:{mailto}")
    for uri in uris:
        if any(ch in uri for ch in "<>,\r\n\t ") or not uri.isprintable():
            raise ValueError("an unsubscribe URI must not contain <, >, commas or whitespace")
    return {
        "List-Unsubscribe": ", ".join(f"<{uri}>" for uri in uris),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


# Keys are lower-case BCP 47 tags; lookup falls back from the full tag to its language, then "en".
# The Chinese lines follow the carriers' customary "reply T to unsubscribe".
_SMS_OPT_OUT_LINES: dict[str, str] = {
    "en": "Reply STOP to opt out",
    "zh": "回T退订",
    "zh-cn": "回T退订",
    "zh-sg": "回T退订",
    "zh-hans": "回T退订",
    "zh-tw": "回T退訂",
    "zh-hk": "回T退訂",
    "zh-mo": "回T退訂",
    "zh-hant": "回T退訂",
}

# Replies that mean "stop": the CTIA keywords and the Chinese carriers' T / TD / R and 退订.
_SMS_OPT_OUT_REPLIES = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "T", "TD", "R", "退订", "退訂"}
)


def sms_opt_out_line(locale: str) -> str:
    """The opt-out line every SMS ends with, in the customer's locale (en-US, zh-CN, zh_TW...)."""
    tag = locale.strip().lower().replace("_", "-")
    while tag:
        if tag in _SMS_OPT_OUT_LINES:
            return _SMS_OPT_OUT_LINES[tag]
        tag = tag.rpartition("-")[0]
    return _SMS_OPT_OUT_LINES["en"]


def is_sms_opt_out_reply(text: str) -> bool:
    """Whether an inbound SMS is an opt-out request (full-width letters and case are ignored)."""
    word = unicodedata.normalize("NFKC", text).strip().strip(".!。！").upper()
    return word in _SMS_OPT_OUT_REPLIES
