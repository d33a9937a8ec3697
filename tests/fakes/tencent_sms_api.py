"""Tencent Cloud SMS (API 3.0 `SendSms`, 2021-01-11) on loopback.

Every request's `Authorization` is checked against the signature Tencent Cloud's own SDK
(`tencentcloud-sdk-python-common`) computes for the bytes that arrived, so a request passes only
if it is signed as Tencent Cloud verifies it. Answers HTTP 200 with `{"Response": {...}}`, as the
API does: `SendStatusSet` per number, or `Error` for the whole request. Like Tencent Cloud it has
no idempotency key: each accepted request is an SMS sent. Behaviours, queued with
`queue(...)`: "ok", or the `Code` to answer with — per number (e.g.
"InvalidParameterValue.IncorrectPhoneNumber", "LimitExceeded.PhoneNumberThirtySecondLimit"),
for the request ("RequestLimitExceeded"), or "InternalError.Timeout" (the SMS is taken anyway).
"""

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.credential import Credential
from tencentcloud.common.http.request import RequestInternal

from tests.fakes.loopback import JsonHandler, LoopbackServer, QueuedBehaviours

SECRET_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
SECRET_KEY = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
SDK_APP_ID = "1400006666"
_REQUEST_ERRORS = ("RequestLimitExceeded", "InternalError.Timeout")


class FakeTencentSms(QueuedBehaviours):
    def __init__(self) -> None:
        super().__init__()
        self.sent: dict[str, dict[str, Any]] = {}  # SerialNo → the request's JSON
        self.requests: list[dict[str, Any]] = []  # headers and JSON of every signed request
        self._loopback = LoopbackServer(self, _Handler)
        self.base_url = self._loopback.base_url
        self.host = self.base_url.removeprefix("http://")
        # The SDK's client, used only for its signature (and by tests to call the fake).
        self.sdk = CommonClient("sms", "2021-01-11", Credential(SECRET_ID, SECRET_KEY), "")

    def sent_to(self, number: str) -> list[dict[str, Any]]:
        with self._lock:
            return [body for body in self.sent.values() if number in body["PhoneNumberSet"]]

    def close(self) -> None:
        self._loopback.close()

    def expected_authorization(self, headers: dict[str, str], raw: bytes) -> str:
        timestamp = int(headers.get("x-tc-timestamp", "0"))
        date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
        request = RequestInternal(
            self.host,
            "POST",
            "/",
            header={
                "Content-Type": headers.get("content-type", ""),
                "Host": headers.get("host", ""),
                "X-TC-Timestamp": str(timestamp),
            },
            data=raw.decode(),
        )
        signature = self.sdk._get_tc3_signature({}, request, date, "sms", SECRET_KEY)
        return (
            f"TC3-HMAC-SHA256 Credential={SECRET_ID}/{date}/sms/tc3_request, "
            f"SignedHeaders=content-type;host, Signature={signature}"
        )


class _Handler(JsonHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        fake: FakeTencentSms = self.server.fake
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        request_id = str(uuid.uuid4())
        if headers.get("authorization") != fake.expected_authorization(headers, raw):
            return self._error("AuthFailure.SignatureFailure", request_id)
        if abs(time.time() - int(headers["x-tc-timestamp"])) > 300:
            return self._error("AuthFailure.SignatureExpire", request_id)
        if (headers.get("x-tc-action"), headers.get("x-tc-version")) != ("SendSms", "2021-01-11"):
            return self._error("InvalidAction", request_id)
        body = json.loads(raw)
        with fake._lock:
            fake.requests.append({"headers": headers, "body": body})
        if body.get("SmsSdkAppId") != SDK_APP_ID:
            return self._error("FailedOperation.SmsSdkAppIdVerifyFail", request_id)
        code = fake._next()
        if code in _REQUEST_ERRORS:
            if code.startswith("InternalError"):
                with fake._lock:
                    fake.sent[uuid.uuid4().hex] = body
            return self._error(code, request_id)
        [number] = body["PhoneNumberSet"]
        serial = f"2645:{uuid.uuid4().int % 10**28}"
        if code == "ok":
            with fake._lock:
                fake.sent[serial] = body
        status = {
            "SerialNo": serial if code == "ok" else "",
            "PhoneNumber": number,
            "Fee": 1 if code == "ok" else 0,
            "SessionContext": body.get("SessionContext", ""),
            "Code": "Ok" if code == "ok" else code,
            "Message": "send success" if code == "ok" else code,
            "IsoCode": "CN",
        }
        self.send_json(200, {"Response": {"SendStatusSet": [status], "RequestId": request_id}})

    def _error(self, code: str, request_id: str) -> None:
        self.send_json(
            200, {"Response": {"Error": {"Code": code, "Message": code}, "RequestId": request_id}}
        )
