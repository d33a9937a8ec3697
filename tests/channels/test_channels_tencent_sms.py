"""Tencent Cloud SMS: the send against a loopback SendSms that checks every signature with
Tencent Cloud's own SDK (and answers the SDK itself), and the delivery-report and reply
callbacks."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

from channels.base import DeliveryError, OutcomeUnknown
from channels.settings import ChannelSettings, TencentSmsSettings
from channels.tencent_sms import TencentSmsSender
from models.channels import Channel
from storage.audit import audit_entries
from tests.channels.callbacks import api_with, bare, customer, ledger, profile, sent_message
from tests.channels.delivery_rig import outgoing
from tests.conftest import Stack
from tests.fakes.tencent_sms_api import SDK_APP_ID, SECRET_ID, SECRET_KEY, FakeTencentSms

NUMBER = "+8613800138000"
CALLBACK_TOKEN = "tencent-callback-token-0123456789"


@pytest.fixture(scope="module")
def tencent() -> Iterator[FakeTencentSms]:
    fake = FakeTencentSms()
    yield fake
    fake.close()


def settings(fake: FakeTencentSms | None = None, **changes: object) -> TencentSmsSettings:
    values: dict[str, object] = {
        "provider": "tencent",
        "secret_id": SECRET_ID,
        "secret_key": SecretStr(SECRET_KEY),
        "sdk_app_id": SDK_APP_ID,
        "sign_name": "好店",
        "template_id": "1234567",
        "callback_token": SecretStr(CALLBACK_TOKEN),
        "timeout_seconds": 2,
    }
    if fake is not None:
        values["base_url"] = fake.base_url
    return TencentSmsSettings.model_validate(values | changes)


def test_the_fake_takes_tencent_clouds_own_sdk_request(tencent: FakeTencentSms) -> None:
    """The fake verifies as Tencent Cloud does: the SDK's own signed request passes."""
    client = tencent.sdk.__class__(
        "sms",
        "2021-01-11",
        tencent.sdk.credential,
        "ap-guangzhou",
        ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=tencent.host)),
    )
    answer = client.call_json(
        "SendSms",
        {
            "PhoneNumberSet": ["+8613800138001"],
            "SmsSdkAppId": SDK_APP_ID,
            "SignName": "好店",
            "TemplateId": "1234567",
            "TemplateParamSet": ["hello"],
        },
    )
    assert answer["Response"]["SendStatusSet"][0]["Code"] == "Ok"


async def test_the_send_is_signed_as_tencent_cloud_verifies_it(tencent: FakeTencentSms) -> None:
    message = outgoing(Channel.SMS, NUMBER, locale="zh-CN", title="", cta="", body="购物车还在")
    serial = await TencentSmsSender(settings(tencent)).send(message)

    assert serial in tencent.sent
    body = tencent.sent[serial]
    assert body["PhoneNumberSet"] == [NUMBER] and body["SmsSdkAppId"] == SDK_APP_ID
    assert (body["SignName"], body["TemplateId"]) == ("好店", "1234567")
    assert body["TemplateParamSet"] == ["购物车还在 回T退订"]  # the whole SMS, opt-out included
    assert body["SessionContext"] == message.message_id
    headers = tencent.requests[-1]["headers"]
    assert headers["x-tc-region"] == "ap-guangzhou"

    fields = TencentSmsSender(settings(tencent, template_params=["title", "url"]))
    titled = outgoing(Channel.SMS, NUMBER, title="新品", cta_url="https://s.example/x")
    await fields.send(titled)
    assert tencent.requests[-1]["body"]["TemplateParamSet"] == ["新品", "https://s.example/x"]

    forged = TencentSmsSender(settings(tencent, secret_key=SecretStr("not-the-key")))
    with pytest.raises(DeliveryError) as refused:
        await forged.send(outgoing(Channel.SMS, NUMBER))
    assert refused.value.final and refused.value.reason == "authfailure_signaturefailure"


async def test_refusals_follow_tencent_clouds_error_codes(tencent: FakeTencentSms) -> None:
    sender = TencentSmsSender(settings(tencent))
    assert not sender.idempotent
    expected = {
        "RequestLimitExceeded": ("rate_limited", False, None),
        "LimitExceeded.PhoneNumberThirtySecondLimit": (
            "number_rate_limited",
            False,
            timedelta(seconds=30),
        ),
        "InvalidParameterValue.IncorrectPhoneNumber": ("invalid_number", True, None),
        "FailedOperation.PhoneNumberInBlacklist": ("opted_out", True, None),
        "LimitExceeded.PhoneNumberDailyLimit": ("number_daily_limit", True, None),
    }
    for code, (reason, final, after) in expected.items():
        tencent.queue(code)
        with pytest.raises(DeliveryError) as refused:
            await sender.send(outgoing(Channel.SMS, NUMBER))
        assert (refused.value.reason, refused.value.final, refused.value.retry_after) == (
            reason,
            final,
            after,
        ), code

    number = "+8613800138002"
    tencent.queue("InternalError.Timeout")
    with pytest.raises(OutcomeUnknown):  # the carrier may still deliver it: not resent
        await sender.send(outgoing(Channel.SMS, number))
    assert len(tencent.sent_to(number)) == 1


@pytest.fixture
async def api(temporal_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path):
    channels = ChannelSettings(sms=settings())
    async with api_with(temporal_env, sqlite_url, tmp_path, channels) as stack:
        yield stack


async def post(stack: Stack, path: str, body: object) -> tuple[int, object]:
    async with bare(stack) as client:
        response = await client.post(path, json=body)
    return response.status_code, response.json()


async def test_delivery_reports_reach_the_ledger(api: Stack) -> None:
    customer_id = await customer(api, phone=NUMBER)
    delivered = await sent_message(api, customer_id, Channel.SMS, provider_ref="2645:1001")
    failed = await sent_message(api, customer_id, Channel.SMS, provider_ref="2645:1002")
    report = {"nationcode": "86", "mobile": NUMBER[3:], "description": "..."}
    reports = [
        report
        | {
            "sid": "2645:1001",
            "report_status": "SUCCESS",
            "errmsg": "DELIVRD",
            "user_receive_time": "2026-11-24 18:03:04",
        },
        report
        | {
            "sid": "2645:1002",
            "report_status": "FAIL",
            "errmsg": "MK:0001",
            "user_receive_time": "2026-11-24 18:03:09",
        },
    ]
    path = f"/v1/webhooks/tencent-sms/{CALLBACK_TOKEN}/status"

    assert await post(api, path, reports) == (200, {"result": 0, "errmsg": "OK"})
    assert await post(api, path, reports) == (200, {"result": 0, "errmsg": "OK"})  # a retry

    assert (await ledger(api, delivered)).delivered_at == datetime(
        2026, 11, 24, 10, 3, 4, tzinfo=UTC
    )
    row = await ledger(api, failed)
    assert (row.status, row.reason) == ("failed", "bounced")
    assert (await post(api, path.replace(CALLBACK_TOKEN, "guess"), reports))[0] == 404
    assert (await post(api, path, {"sid": "x"}))[0] == 422
    assert (await post(api, path, [{"sid": {"a": 1}, "report_status": "SUCCESS"}]))[0] == 422


async def test_a_td_reply_unsubscribes_the_number_everywhere(api: Stack) -> None:
    customer_id = await customer(api, phone=NUMBER)
    path = f"/v1/webhooks/tencent-sms/{CALLBACK_TOKEN}/reply"
    reply = {"extend": "", "mobile": NUMBER[3:], "nationcode": "86", "sign": "好店", "time": 1}

    assert (await post(api, path, reply | {"text": "好的谢谢"}))[0] == 200
    assert (await profile(api, customer_id)).unsubscribed_channels == []
    assert (await post(api, path, reply | {"text": "ＴＤ"}))[0] == 200  # full-width, as typed
    assert set((await profile(api, customer_id)).unsubscribed_channels) == {
        c.value for c in Channel
    }
    async with api.sessions() as session:
        audited = await audit_entries(session, "customer.unsubscribe")
    assert [row.actor for row in audited if row.target == customer_id] == [
        "sms_reply:tencent_sms_reply"
    ]
    assert (await post(api, path, reply | {"mobile": "13x"}))[0] == 422
