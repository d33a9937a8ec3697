"""WeChat service-account template messages (the Official Accounts Platform API).

Access token: `GET {base_url}/cgi-bin/token?grant_type=client_credential&appid=<app_id>
&secret=<api_key>` → `{"access_token": "...", "expires_in": 7200}`; kept until five minutes
before it expires, fetched again when WeChat says it is invalid (40001, 40014, 42001).

Send: `POST {base_url}/cgi-bin/message/template/send?access_token=<token>` with JSON
    {"touser": "<openid>", "template_id": "<template_id>", "url": "<tracked link>",
     "client_msg_id": "<message id>",
     "data": {"<title_field>": {"value": title}, "<body_field>": {"value": body},
              "<cta_field>": {"value": cta}}}
WeChat answers HTTP 200 with `{"errcode": 0, "errmsg": "ok", "msgid": 123}` or an error code:
-1 (busy) and 45009/45011 (quota) are retried; every other code is final (next channel), named
for the common ones: 43004 (not following the account), 43101 (refuses messages), 40003
(invalid openid), 40037 (bad template) — an unknown code retried forever would stall the
journey on one message.

`client_msg_id` (the ledger's message id, itself derived from the idempotency key) makes WeChat
drop a repeat for the same openid; WeChat keeps it ten minutes, longer than our retries take to
come round, hence `idempotent`. Delivery results (the TEMPLATESENDJOBFINISH
event) come straight from WeChat to `POST /v1/webhooks/wechat/events`, signed with the account's
server Token (channels/wechat_events.py).
"""

import asyncio
import time

import httpx

from channels.base import DeliveryError, OutgoingMessage
from channels.http import HttpSender, refusal
from channels.settings import WeChatSettings

FINAL_ERRCODES = {
    40003: "invalid_openid",
    40037: "invalid_template",
    43004: "not_following",
    43101: "refuses_messages",
}
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
RETRYABLE_ERRCODES = frozenset({-1, 45009, 45011})
_TOKEN_MARGIN_SECONDS = 300


class WeChatSender(HttpSender):
    settings: WeChatSettings

    def __init__(self, settings: WeChatSettings, client: httpx.AsyncClient | None = None):
        super().__init__(settings, client)
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()

    async def send(self, message: OutgoingMessage) -> str:
        token = await self._access_token()
        result = await self._post(message, token)
        if result.get("errcode") in TOKEN_ERRCODES:
            result = await self._post(message, await self._access_token(stale=token))
        return self._outcome(result, message)

    async def _post(self, message: OutgoingMessage, token: str) -> dict:
        s = self.settings
        response = await self.request(
            "POST",
            self.url("/cgi-bin/message/template/send"),
            params={"access_token": token},
            json={
                "touser": message.address,
                "template_id": s.template_id,
                "url": message.cta_url,
                "client_msg_id": message.message_id,
                "data": {
                    s.title_field: {"value": message.title},
                    s.body_field: {"value": message.body},
                    s.cta_field: {"value": message.cta},
                },
            },
        )
        return _json(response)

    def _outcome(self, result: dict, message: OutgoingMessage) -> str:
        code = result.get("errcode", 0)
        if code == 0:
            return str(result.get("msgid") or message.message_id)
        reason = FINAL_ERRCODES.get(code, f"wechat_{code}".replace("-", "minus_"))
        raise DeliveryError(reason, final=code not in RETRYABLE_ERRCODES)

    async def _access_token(self, stale: str | None = None) -> str:
        async with self._token_lock:
            fresh = self._token is not None and time.monotonic() < self._token_expires
            if fresh and self._token != stale:
                return self._token  # type: ignore[return-value]  # `fresh` implies a token; mypy cannot carry that through the `and`
            response = await self.request(
                "GET",
                self.url("/cgi-bin/token"),
                params={
                    "grant_type": "client_credential",
                    "appid": self.settings.app_id,
                    "secret": self.settings.api_key.get_secret_value(),
                },
            )
            result = _json(response)
            if "access_token" not in result:
                # -1 is "system busy"; anything else (wrong AppID or AppSecret, a server address
                # not whitelisted) stops every WeChat send until fixed, so the next channel goes.
                code = result.get("errcode")
                raise DeliveryError(f"wechat_token_{code}".replace("-", "minus_"), final=code != -1)
            self._token = str(result["access_token"])
            lifetime = int(result.get("expires_in", 7200)) - _TOKEN_MARGIN_SECONDS
            self._token_expires = time.monotonic() + max(lifetime, 60)
            return self._token


def _json(response: httpx.Response) -> dict:
    """WeChat's JSON answer; an HTTP error (a proxy in front of it) is classified as usual.

    An unreadable 200 raises ValueError: the send may have gone, so the outcome is unknown.
    """
    if not response.is_success:
        raise refusal(response)
    body = response.json()
    if not isinstance(body, dict):
        raise ValueError("WeChat answered with something other than a JSON object")
    return body
