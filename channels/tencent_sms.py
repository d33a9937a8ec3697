"""SMS in mainland China through Tencent Cloud SMS (API 3.0, `SendSms` version 2021-01-11).

Send: `POST {base_url}/` with JSON
    {"PhoneNumberSet": ["+8613800000000"], "SmsSdkAppId": "1400...", "SignName": "...",
     "TemplateId": "...", "TemplateParamSet": [...], "SessionContext": "<message id>"}
and the headers `X-TC-Action: SendSms`, `X-TC-Version`, `X-TC-Region`, `X-TC-Timestamp` and
`Authorization: TC3-HMAC-SHA256 Credential=<SecretId>/<date>/sms/tc3_request,
SignedHeaders=content-type;host, Signature=<hex>` (Tencent Cloud's signature v3, `tc3_signature`).
Mainland SMS only carries approved templates: `TemplateParamSet` fills the template's {1}, {2}...
from the message (`TEMPLATE_PARAMS`, default the whole SMS text with its opt-out line).

Tencent answers HTTP 200 either way: `{"Response": {"SendStatusSet": [{"SerialNo": "...",
"Code": "Ok", ...}], "RequestId": "..."}}` (the SerialNo is the provider reference and comes
back as `sid` in the delivery report), or a `Code` naming the refusal, per number or for the
whole request (`{"Response": {"Error": {"Code": ..., "Message": ...}}}`):
- retried: `RequestLimitExceeded*` (the API's rate limit), and the number's frequency limits
  `LimitExceeded.PhoneNumberThirtySecondLimit` (after 30 s) and `...OneHourLimit` (an hour);
- unknown outcome: `InternalError.*` (a timeout towards the carrier may still deliver);
- final (next channel): everything else, named for the common ones: an invalid number, the number
  on the blacklist (it replied TD/退订 earlier), the number's daily limit, auth and template
  errors.
`SendSms` takes no idempotency key, so an attempt cut off mid-call is never repeated.
"""

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import httpx
from pydantic import BaseModel, ConfigDict, Field

from channels.base import DeliveryError, OutcomeUnknown, OutgoingMessage
from channels.http import call, provider_client, reason_code, unkeyed_refusal
from channels.settings import TencentSmsSettings
from channels.sms import sms_text
from models.receipts import Receipt, ReceiptType

ACTION = "SendSms"
VERSION = "2021-01-11"
SERVICE = "sms"
CONTENT_TYPE = "application/json"

NAMED_CODES = {
    "InvalidParameterValue.IncorrectPhoneNumber": "invalid_number",
    "FailedOperation.PhoneNumberInBlacklist": "opted_out",
    "LimitExceeded.PhoneNumberDailyLimit": "number_daily_limit",
    "FailedOperation.InsufficientBalanceInSmsPackage": "insufficient_balance",
}
_BEIJING = ZoneInfo("Asia/Shanghai")
RETRY_AFTER = {
    "LimitExceeded.PhoneNumberThirtySecondLimit": timedelta(seconds=30),
    "LimitExceeded.PhoneNumberOneHourLimit": timedelta(hours=1),
}


def tc3_signature(
    secret_key: str, service: str, host: str, content_type: str, payload: bytes, timestamp: int
) -> str:
    """Signature v3 of a POST to `/` whose signed headers are content-type and host."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{content_type}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    string_to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            f"{date}/{service}/tc3_request",
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    key = ("TC3" + secret_key).encode()
    for part in (date, service, "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


class TencentSmsSender:
    idempotent = False

    def __init__(self, settings: TencentSmsSettings, client: httpx.AsyncClient | None = None):
        self.settings = settings
        self._client = client or provider_client(settings)
        self._url = f"{settings.base_url}/"
        self._host = httpx.URL(self._url).netloc.decode()

    def _params(self, message: OutgoingMessage) -> list[str]:
        fields = {
            "text": sms_text(message),
            "title": message.title,
            "body": message.body,
            "cta": message.cta,
            "url": message.cta_url,
        }
        return [fields[name] for name in self.settings.template_params]

    async def send(self, message: OutgoingMessage) -> str:
        s = self.settings
        payload = json.dumps(
            {
                "PhoneNumberSet": [message.address],
                "SmsSdkAppId": s.sdk_app_id,
                "SignName": s.sign_name,
                "TemplateId": s.template_id,
                "TemplateParamSet": self._params(message),
                "SessionContext": message.message_id,
            },
            ensure_ascii=False,
        ).encode()
        timestamp = int(time.time())
        signature = tc3_signature(
            s.secret_key.get_secret_value(), SERVICE, self._host, CONTENT_TYPE, payload, timestamp
        )
        date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
        response = await call(
            self._client,
            "POST",
            self._url,
            content=payload,
            headers={
                "Content-Type": CONTENT_TYPE,
                "X-TC-Action": ACTION,
                "X-TC-Version": VERSION,
                "X-TC-Region": s.region,
                "X-TC-Timestamp": str(timestamp),
                "Authorization": (
                    f"TC3-HMAC-SHA256 Credential={s.secret_id}/{date}/{SERVICE}/tc3_request, "
                    f"SignedHeaders=content-type;host, Signature={signature}"
                ),
            },
        )
        if not response.is_success:
            raise unkeyed_refusal(response)
        try:
            answer = response.json()["Response"]
            error = answer.get("Error")
            status = None if error else answer["SendStatusSet"][0]
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as err:
            raise OutcomeUnknown("Tencent Cloud's answer is unreadable") from err
        code = str((error or status or {}).get("Code", ""))
        if status is not None and code == "Ok":
            return str(status.get("SerialNo") or message.message_id)[:256]
        raise _refusal(code)


def _refusal(code: str) -> Exception:
    if code in RETRY_AFTER:
        return DeliveryError("number_rate_limited", final=False, retry_after=RETRY_AFTER[code])
    if code.startswith("RequestLimitExceeded"):
        return DeliveryError("rate_limited", final=False)
    if code.startswith("InternalError"):
        return OutcomeUnknown(f"Tencent Cloud answered {code}")
    return DeliveryError(NAMED_CODES.get(code) or reason_code(code), final=True)


class DeliveryReport(BaseModel):
    """One entry of a 状态回执 callback (the fields we read)."""

    model_config = ConfigDict(extra="ignore")

    sid: str = Field(min_length=1, max_length=200, description="the send's SerialNo")
    report_status: Literal["SUCCESS", "FAIL"]
    errmsg: str = Field("", max_length=200, description="the carrier's status code")
    user_receive_time: str | None = Field(None, description="Beijing time, 2026-11-24 18:03:04")


def report_receipt(report: DeliveryReport, now: datetime) -> Receipt:
    """The receipt a delivery report is: SUCCESS delivered, FAIL bounced (reason: the
    carrier's code)."""
    occurred = now
    if report.user_receive_time:
        try:
            stamp = datetime.strptime(report.user_receive_time, "%Y-%m-%d %H:%M:%S")
            occurred = stamp.replace(tzinfo=_BEIJING)
        except ValueError:
            pass
    success = report.report_status == "SUCCESS"
    return Receipt(
        receipt_id=f"{report.sid}:{report.report_status}",
        type=ReceiptType.DELIVERED if success else ReceiptType.BOUNCED,
        provider_ref=report.sid,
        occurred_at=occurred,
        reason=None if success else report.errmsg or None,
    )
