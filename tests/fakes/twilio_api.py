"""Twilio's Messaging API on loopback: `POST /2010-04-01/Accounts/<sid>/Messages.json`.

HTTP Basic auth with the Account SID and Auth Token (20003 otherwise), form fields `To`, `From` or
`MessagingServiceSid`, `Body`, `StatusCallback`; answers 201 with the message resource, as
Twilio documents it (the official `twilio` client reads it in the tests). Errors have Twilio's
JSON shape `{"code", "message", "more_info", "status"}`. Like Twilio, it has no idempotency key:
every accepted request is a message sent. Behaviours, queued with `queue(...)`: "ok", "429",
"503", "500" (the message is taken, then the answer is a 500), "invalid_number" (21211),
"opted_out" (21610).
"""

import base64
import uuid
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl

from tests.fakes.loopback import JsonHandler, LoopbackServer, QueuedBehaviours

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "twilio-auth-token-0123456789abcd"
FROM_NUMBER = "+15005550006"
_ERRORS = {
    "429": (429, 20429, "Too Many Requests"),
    "503": (503, 20503, "Service Unavailable"),
    "invalid_number": (400, 21211, "The 'To' number is not a valid phone number."),
    "opted_out": (400, 21610, "Attempt to send to unsubscribed recipient"),
}


class FakeTwilio(QueuedBehaviours):
    def __init__(self) -> None:
        super().__init__()
        self.messages: dict[str, dict[str, str]] = {}  # sid → form, every message taken
        self.requests: list[dict[str, Any]] = []  # {"path", "auth", "form"} of every request
        self._loopback = LoopbackServer(self, _Handler)
        self.base_url = self._loopback.base_url

    def sent_to(self, number: str) -> list[dict[str, str]]:
        with self._lock:
            return [form for form in self.messages.values() if form.get("To") == number]

    def close(self) -> None:
        self._loopback.close()


class _Handler(JsonHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        fake: FakeTwilio = self.server.fake
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        form = dict(parse_qsl(raw.decode(), keep_blank_values=True))
        auth = self.headers.get("Authorization", "")
        with fake._lock:
            fake.requests.append({"path": self.path, "auth": auth, "form": form})
        expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if self.path != f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json":
            return self._error(404, 20404, "The requested resource was not found")
        if auth != f"Basic {expected}":
            return self._error(401, 20003, "Authenticate")
        if not form.get("To") or not (form.get("From") or form.get("MessagingServiceSid")):
            return self._error(400, 21604, "A 'To' and a 'From' phone number are required.")
        behaviour = fake._next()
        if behaviour in _ERRORS:
            return self._error(*_ERRORS[behaviour])
        sid = "SM" + uuid.uuid4().hex
        with fake._lock:
            fake.messages[sid] = form
        if behaviour == "500":
            return self._error(500, 20500, "Internal Server Error")
        now = formatdate(usegmt=True)
        self.send_json(
            201,
            {
                "sid": sid,
                "account_sid": ACCOUNT_SID,
                "api_version": "2010-04-01",
                "body": form["Body"],
                "date_created": now,
                "date_updated": now,
                "date_sent": None,
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "from": form.get("From"),
                "messaging_service_sid": form.get("MessagingServiceSid"),
                "num_media": "0",
                "num_segments": "1",
                "price": None,
                "price_unit": "USD",
                "status": "queued",
                "subresource_uris": {
                    "media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}/Media.json"
                },
                "to": form["To"],
                "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
            },
        )

    def _error(self, status: int, code: int, message: str) -> None:
        body = {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
        self.send_json(status, body)
