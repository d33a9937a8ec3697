"""A real SMTP server (aiosmtpd) that keeps what it receives, for the tests."""

import asyncio
import socket
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class SmtpSink:
    def __init__(self, smtputf8: bool = False) -> None:
        self.messages: list[Message] = []
        # Every envelope recipient, as given (internationalised addresses included).
        self.recipients: list[str] = []
        # Recipients whose next DATA is held past the client's timeout, *after* it was stored:
        # the client cannot tell whether the message went through.
        self.stall_once: set[str] = set()
        self.stall_seconds = 4.0
        # Recipients refused for good at RCPT TO (550: no such mailbox).
        self.refuse: set[str] = set()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.host, self.port = probe.getsockname()
        self._controller = Controller(
            self, hostname=self.host, port=self.port, enable_SMTPUTF8=smtputf8
        )

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        message = message_from_bytes(envelope.content)
        self.messages.append(message)
        self.recipients.extend(envelope.rcpt_tos)
        stalled = self.stall_once.intersection(envelope.rcpt_tos)
        if stalled:
            self.stall_once.difference_update(stalled)
            await asyncio.sleep(self.stall_seconds)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]
