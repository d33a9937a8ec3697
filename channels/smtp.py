"""Email over SMTP (aiosmtplib): a text and an HTML part, one-click unsubscribe, tracked links.

Headers: `Message-ID` carries the ledger's message id (relays and receipt webhooks name the
message by it; `X-Journeys-Message-Id` repeats it bare), `X-Idempotency-Key` the message id as
well (the same on every attempt; the ledger key itself names the customer and the event, and a
recipient sees headers), and
`List-Unsubscribe` / `List-Unsubscribe-Post` (RFC 8058) when an unsubscribe link is configured.
The HTML part links the call to action through the tracked link and loads the open pixel.

An internationalised address (`用户@例子.中国`) goes out with SMTPUTF8 (RFC 6531) when the relay
offers it; a relay that does not is a refusal for good (the next channel, or `failed`), never an
attempt of unknown outcome: nothing was sent.
"""

from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from html import escape

import aiosmtplib

from channels.base import DeliveryError, OutgoingMessage
from channels.sendgrid_events import SMTPAPI_HEADER, smtpapi_header
from channels.ses_events import ses_headers
from guardrails import list_unsubscribe_headers
from settings import Settings

MESSAGE_ID_HEADER = "X-Journeys-Message-Id"
# Long headers are folded only past SMTP's 998-character line limit: the default policy folds at
# 78 and, finding no space in a List-Unsubscribe URL, turns it into an RFC 2047 encoded word
# that mail clients do not read as a link.
_POLICY = policy.default.clone(max_line_length=998)
# Headers in raw UTF-8, for relays that take SMTPUTF8.
_UTF8_POLICY = _POLICY.clone(utf8=True)

_UNSUBSCRIBE_LINE = {"en": "Unsubscribe", "zh": "退订"}


class SmtpSender:
    # SMTP has no idempotency key: an attempt cut off after DATA may or may not have been
    # delivered, so it is never repeated (see sending/delivery.py).
    idempotent = False

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def build(self, message: OutgoingMessage) -> EmailMessage:
        email = EmailMessage(policy=_UTF8_POLICY if _needs_smtputf8(message) else _POLICY)
        email["From"] = self._settings.email_from
        email["To"] = message.address
        email["Subject"] = " ".join(message.title.split())  # no line break may end a header
        email["Date"] = format_datetime(datetime.now(UTC))
        domain = self._settings.email_from.rsplit("@", 1)[-1].rstrip(">")
        email["Message-ID"] = make_msgid(idstring=message.message_id, domain=domain)
        email[MESSAGE_ID_HEADER] = message.message_id
        email["X-Idempotency-Key"] = message.message_id
        # Let the sender's event webhook name our message (channels/*_events.py).
        events = self._settings.channels.email
        if events.sendgrid is not None:
            email[SMTPAPI_HEADER] = smtpapi_header(message.message_id)
        if events.ses is not None:
            for name, value in ses_headers(
                message.message_id, events.ses_configuration_set
            ).items():
                email[name] = value
        if message.unsubscribe_url:
            mailto = self._settings.channels.email.unsubscribe_mailto
            for name, value in list_unsubscribe_headers(message.unsubscribe_url, mailto).items():
                email[name] = value
        email.set_content(_text_part(message))
        email.add_alternative(_html_part(message), subtype="html")
        return email

    async def send(self, message: OutgoingMessage) -> str:
        utf8 = _needs_smtputf8(message)
        try:
            email = self.build(message)
            # Sent as bytes flattened with our policy: aiosmtplib would re-fold with its own.
            raw = email.as_bytes(policy=email.policy.clone(linesep="\r\n"))
        except (ValueError, TypeError, UnicodeError) as err:  # nothing left the worker
            raise DeliveryError("unsendable_message", final=True) from err
        s = self._settings
        try:
            await aiosmtplib.send(
                raw,
                sender=parseaddr(s.email_from)[1],
                recipients=[message.address],
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username or None,
                password=s.smtp_password.get_secret_value() or None,
                start_tls=s.smtp_start_tls,
                use_tls=s.smtp_use_tls,
                timeout=s.smtp_timeout_seconds,
                mail_options=["SMTPUTF8"] if utf8 else None,
            )
        except aiosmtplib.SMTPNotSupported as err:  # checked before MAIL FROM: nothing was sent
            raise DeliveryError("smtputf8_not_offered", final=True) from err
        except aiosmtplib.SMTPConnectError as err:  # connection never made, connect timeouts too
            raise DeliveryError("smtp_unreachable", final=False) from err
        except aiosmtplib.SMTPRecipientsRefused as err:
            # 550 "no such mailbox" is for good; 450/451 "mailbox busy, try later" is not.
            final = all(500 <= refusal.code < 600 for refusal in err.recipients)
            raise DeliveryError("recipient_refused", final=final) from err
        except aiosmtplib.SMTPResponseException as err:
            raise DeliveryError(f"smtp_{err.code}", final=500 <= err.code < 600) from err
        # Anything else (a timeout or disconnect mid-conversation) may come after the server took
        # the message: it propagates as an unknown outcome.
        return str(email["Message-ID"])


def _needs_smtputf8(message: OutgoingMessage) -> bool:
    return not message.address.isascii()


def _unsubscribe_word(locale: str) -> str:
    return _UNSUBSCRIBE_LINE.get(locale.lower()[:2], _UNSUBSCRIBE_LINE["en"])


def _text_part(message: OutgoingMessage) -> str:
    lines = [message.body]
    if message.cta:
        lines.append(f"{message.cta}: {message.cta_url}" if message.cta_url else message.cta)
    lines += message.disclaimers
    if message.unsubscribe_url and message.unsubscribe_url not in message.body:
        lines.append(f"{_unsubscribe_word(message.locale)}: {message.unsubscribe_url}")
    return "\n\n".join(lines) + "\n"


def _html_part(message: OutgoingMessage) -> str:
    body = escape(message.body).replace("\n", "<br>\n")
    parts = [f"<p>{body}</p>"]
    if message.cta:
        cta = escape(message.cta)
        if message.cta_url:
            cta = f'<a href="{escape(message.cta_url, quote=True)}">{cta}</a>'
        parts.append(f"<p>{cta}</p>")
    for line in message.disclaimers:
        parts.append(f'<p style="font-size:small">{escape(line)}</p>')
    if message.unsubscribe_url:
        url = escape(message.unsubscribe_url, quote=True)
        word = escape(_unsubscribe_word(message.locale))
        parts.append(f'<p style="font-size:small"><a href="{url}">{word}</a></p>')
    if message.open_pixel_url:
        src = escape(message.open_pixel_url, quote=True)
        parts.append(f'<img src="{src}" width="1" height="1" alt="" style="display:none">')
    lang = escape(message.locale, quote=True)
    return (
        f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(message.title)}</title></head>\n<body>\n"
        + "\n".join(parts)
        + "\n</body></html>\n"
    )
