"""One loopback HTTP server speaking every provider protocol of channels/, for the tests.

    fake = FakeProviders()                       # or `with running_providers() as fake:`
    settings = fake.channel_settings(timeout_seconds=1.5)
    fake.queue("sms", "500", "429", "timeout")   # next answers on that channel; then "ok"
    ...
    fake.deliveries("sms")                       # distinct messages delivered, by idempotency key
    fake.calls("sms")                            # every request, in order
    fake.close()

Routes (as documented in each sender's module): SMS `POST /v1/sms`, push `POST /v1/push`, in-app
`POST /v1/inbox/messages`, WeChat `GET /cgi-bin/token` and `POST /cgi-bin/message/template/send`,
the generic signed webhook `POST /hook/<channel>`. Like real providers it deduplicates on the
idempotency key (WeChat: client_msg_id): a repeated key gets the first answer and delivers
nothing new. Behaviours: "ok"; "429" (Retry-After: `retry_after` seconds); "500"; "timeout"
(the message is taken, then the answer comes after `delay_seconds`, too late for the client);
"final" (the protocol's refusal for good: invalid number, unregistered token, unknown user,
WeChat 43004, a 422 from the webhook); "token_expired" (WeChat 42001 once).
"""

import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pydantic import SecretStr

from channels.settings import ChannelSettings, HttpProviderSettings, WeChatSettings
from channels.signing import SIGNATURE_HEADER, SignatureError, verify_signature
from tests.fakes.loopback import JsonHandler, LoopbackServer

BEHAVIOURS = ("ok", "429", "500", "timeout", "final", "token_expired")
API_KEY = "provider-key-0123456789"
WEBHOOK_KEY = "gateway-signing-key-0123456789"
RECEIPT_SECRET = "receipt-secret-0123456789abcdef"

_FINAL = {
    "sms": (400, {"error": {"code": "invalid_number", "message": "not a mobile number"}}),
    "push": (410, {"error": {"code": "unregistered"}}),
    "inapp": (404, {"error": {"code": "unknown_user"}}),
    "hook": (422, {"error": "rejected"}),
}


@dataclass
class Call:
    channel: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float  # time.monotonic()


class FakeProviders:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, deque[str]] = defaultdict(deque)
        self._deliveries: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        self._calls: list[Call] = []
        self.retry_after = 1
        self.delay_seconds = 3.0  # twice the clients' deadline: late even on a loaded machine
        self.wechat_token = "token-1"
        self.token_fetches = 0
        self._loopback = LoopbackServer(self, _Handler)
        self.base_url = self._loopback.base_url

    def channel_settings(self, signed_webhook: bool = False, **common: Any) -> ChannelSettings:
        """Every HTTP channel pointed here: native protocols, or all as the signed webhook."""
        # 1.5 s: an answer on time is not late on a loaded machine; "timeout" answers after 3 s.
        options = {"timeout_seconds": 1.5, "webhook_secret": SecretStr(RECEIPT_SECRET), **common}

        def provider(channel: str, cls: type[HttpProviderSettings] = HttpProviderSettings) -> Any:
            if signed_webhook:
                return cls(
                    base_url=f"{self.base_url}/hook/{channel}",
                    api_key=SecretStr(WEBHOOK_KEY),
                    protocol="signed_webhook",
                    **options,
                )
            extra = {"app_id": "wx-app", "template_id": "tpl-1"} if cls is WeChatSettings else {}
            return cls(base_url=self.base_url, api_key=SecretStr(API_KEY), **extra, **options)

        return ChannelSettings(
            sms=provider("sms"),
            push=provider("push"),
            inapp=provider("inapp"),
            wechat=provider("wechat", WeChatSettings),
        )

    def queue(self, channel: str, *behaviours: str) -> None:
        for behaviour in behaviours:
            if behaviour not in BEHAVIOURS:
                raise ValueError(f"unknown behaviour {behaviour!r}")
        with self._lock:
            self._queues[channel].extend(behaviours)

    def deliveries(self, channel: str) -> dict[str, dict[str, Any]]:
        with self._lock:
            return dict(self._deliveries[channel])

    def calls(self, channel: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if channel is None or c.channel == channel]

    def close(self) -> None:
        self._loopback.close()

    # --- used by the handler thread ---

    def _next(self, channel: str) -> str:
        with self._lock:
            queue = self._queues[channel]
            return queue.popleft() if queue else "ok"

    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def _deliver(self, channel: str, key: str, body: dict[str, Any]) -> str:
        """Take the message once per key; the provider's id for it either way."""
        with self._lock:
            taken = self._deliveries[channel]
            if key not in taken:
                taken[key] = body
            return f"{channel}-{list(taken).index(key) + 1}"


@contextmanager
def running_providers() -> Iterator[FakeProviders]:
    fake = FakeProviders()
    try:
        yield fake
    finally:
        fake.close()


class _Handler(JsonHandler):
    protocol_version = "HTTP/1.1"

    @property
    def fake(self) -> FakeProviders:
        return self.server.fake

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        url = urlsplit(self.path)
        if url.path != "/cgi-bin/token":
            return self.send_json(404, {"error": "no such route"})
        query = parse_qs(url.query)
        if query.get("appid") != ["wx-app"] or query.get("secret") != [API_KEY]:
            return self.send_json(200, {"errcode": 40125, "errmsg": "invalid appsecret"})
        with self.fake._lock:
            self.fake.token_fetches += 1
        self.send_json(200, {"access_token": self.fake.wechat_token, "expires_in": 7200})

    def do_POST(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = json.loads(raw or b"{}")
        headers = {k.lower(): v for k, v in self.headers.items()}
        if url.path.startswith("/hook/"):
            channel = url.path.removeprefix("/hook/")
            try:
                verify_signature(
                    WEBHOOK_KEY, raw, headers.get(SIGNATURE_HEADER.lower()), datetime.now(UTC), 60
                )
            except SignatureError:
                return self.send_json(401, {"error": "bad signature"})
            return self._serve(channel, "hook", url.path, headers, body, headers["idempotency-key"])
        if url.path == "/cgi-bin/message/template/send":
            if parse_qs(url.query).get("access_token") != [self.fake.wechat_token]:
                return self.send_json(200, {"errcode": 40001, "errmsg": "invalid credential"})
            return self._serve("wechat", "wechat", url.path, headers, body, body["client_msg_id"])
        channel = {"/v1/sms": "sms", "/v1/push": "push", "/v1/inbox/messages": "inapp"}.get(
            url.path
        )
        if channel is None:
            return self.send_json(404, {"error": "no such route"})
        if headers.get("authorization") != f"Bearer {API_KEY}":
            return self.send_json(401, {"error": {"code": "unauthorized"}})
        self._serve(channel, channel, url.path, headers, body, headers["idempotency-key"])

    def _serve(
        self,
        channel: str,
        protocol: str,
        path: str,
        headers: dict[str, str],
        body: dict[str, Any],
        key: str,
    ) -> None:
        self.fake._record(Call(channel, path, headers, body, time.monotonic()))
        behaviour = self.fake._next(channel)
        if behaviour == "429":
            error = {"error": {"code": "too_many_requests"}}
            return self.send_json(429, error, {"Retry-After": str(self.fake.retry_after)})
        if behaviour == "500":
            return self.send_json(500, {"error": {"code": "internal"}})
        if behaviour == "final":
            if protocol == "wechat":
                return self.send_json(200, {"errcode": 43004, "errmsg": "require subscribe"})
            return self.send_json(*_FINAL[protocol])
        if behaviour == "token_expired":
            self.fake.wechat_token += "+"
            return self.send_json(200, {"errcode": 42001, "errmsg": "access_token expired"})
        reference = self.fake._deliver(channel, key, body)
        if behaviour == "timeout":
            time.sleep(self.fake.delay_seconds)
        if protocol == "wechat":
            return self.send_json(200, {"errcode": 0, "errmsg": "ok", "msgid": reference})
        self.send_json(201, {"id": reference})
