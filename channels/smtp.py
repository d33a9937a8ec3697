"""Email over SMTP (aiosmtplib)."""

from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib

from channels.base import DeliveryError, OutgoingMessage
from settings import Settings


class SmtpSender:
    # SMTP has no idempotency key: an attempt cut off after DATA may or may not have been
    # delivered, so it is never repeated (see activities.messaging).
    idempotent = False

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def build(self, message: OutgoingMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self._settings.email_from
        email["To"] = message.address
        email["Subject"] = message.title
        domain = self._settings.email_from.rsplit("@", 1)[-1].rstrip(">")
        email["Message-ID"] = make_msgid(idstring=message.message_id, domain=domain)
        email["X-Idempotency-Key"] = message.idempotency_key
        text = message.body if not message.cta else f"{message.body}\n\n{message.cta}"
        email.set_content(text)
        return email

    async def send(self, message: OutgoingMessage) -> str:
        email = self.build(message)
        s = self._settings
        try:
            await aiosmtplib.send(
                email,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username or None,
                password=s.smtp_password.get_secret_value() or None,
                start_tls=s.smtp_start_tls,
                use_tls=s.smtp_use_tls,
                timeout=s.smtp_timeout_seconds,
            )
        except aiosmtplib.SMTPConnectError as err:  # connection never made, connect timeouts too
            raise DeliveryError("smtp_unreachable", final=False) from err
        except aiosmtplib.SMTPRecipientsRefused as err:
            raise DeliveryError("recipient_refused", final=True) from err
        except aiosmtplib.SMTPResponseException as err:
            raise DeliveryError(f"smtp_{err.code}", final=500 <= err.code < 600) from err
        # Anything else (a timeout or disconnect mid-conversation) may come after the server took
        # the message: it propagates as an unknown outcome.
        return str(email["Message-ID"])
