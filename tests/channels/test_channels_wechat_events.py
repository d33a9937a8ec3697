"""WeChat event pushes straight from WeChat: the URL check, TEMPLATESENDJOBFINISH into the ledger,
and an unfollow closing the WeChat channel. Each body is read by wechatpy (the community SDK)
as the event it stands for, and each signature checked with it, before our endpoint sees it."""

import time
import uuid
from pathlib import Path

import pytest
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment
from wechatpy import parse_message
from wechatpy.events import TemplateSendJobFinishEvent, UnsubscribeEvent
from wechatpy.utils import check_signature

from channels.settings import ChannelSettings, WeChatSettings
from channels.wechat_events import wechat_signature
from models.channels import Channel
from tests.channels.callbacks import api_with, bare, customer, ledger, profile, sent_message
from tests.conftest import Stack

SERVER_TOKEN = "wechat-server-token-42"
PATH = "/v1/webhooks/wechat/events"


@pytest.fixture
async def api(temporal_env: WorkflowEnvironment, database_url: str, tmp_path: Path):
    wechat = WeChatSettings(app_id="wx-app", server_token=SecretStr(SERVER_TOKEN))
    channels = ChannelSettings(wechat=wechat)
    async with api_with(temporal_env, database_url, tmp_path, channels) as stack:
        yield stack


def signed_query(token: str = SERVER_TOKEN, at: float | None = None) -> dict[str, str]:
    timestamp, nonce = str(int(time.time() if at is None else at)), uuid.uuid4().hex[:10]
    signature = wechat_signature(token, timestamp, nonce)
    check_signature(token, signature, timestamp, nonce)  # wechatpy agrees, or raises
    return {"signature": signature, "timestamp": timestamp, "nonce": nonce}


def push(openid: str, event: str, **fields: str) -> bytes:
    extra = "".join(f"<{name}><![CDATA[{value}]]></{name}>" for name, value in fields.items())
    return (
        f"<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event>{extra}</xml>"
    ).encode()


async def send(stack: Stack, body: bytes, **query: str) -> tuple[int, str]:
    async with bare(stack) as client:
        response = await client.post(PATH, params=query or signed_query(), content=body)
    return response.status_code, response.text


async def test_the_url_check_answers_echostr_only_when_signed(api: Stack) -> None:
    async with bare(api) as client:
        good = await client.get(PATH, params=signed_query() | {"echostr": "8472916"})
        forged = await client.get(PATH, params=signed_query("guess") | {"echostr": "1"})
        stale = await client.get(PATH, params=signed_query(at=time.time() - 3600))
    assert (good.status_code, good.text) == (200, "8472916")
    assert forged.status_code == 401 and stale.status_code == 401


async def test_template_results_reach_the_ledger(api: Stack) -> None:
    openid = f"o-{uuid.uuid4().hex[:12]}"
    customer_id = await customer(api, wechat_openid=openid)
    delivered = await sent_message(api, customer_id, Channel.WECHAT, provider_ref="200163836")
    blocked = await sent_message(api, customer_id, Channel.WECHAT, provider_ref="200163840")
    ok = push(openid, "TEMPLATESENDJOBFINISH", MsgID="200163836", Status="success")
    refused = push(openid, "TEMPLATESENDJOBFINISH", MsgID="200163840", Status="failed:user block")
    for body in (ok, refused):
        assert isinstance(parse_message(body.decode()), TemplateSendJobFinishEvent)

    assert await send(api, ok) == (200, "success")
    assert await send(api, ok) == (200, "success")  # WeChat's retry: nothing new
    assert await send(api, refused) == (200, "success")

    assert (await ledger(api, delivered)).delivered_at is not None
    row = await ledger(api, blocked)
    assert (row.status, row.reason) == ("failed", "bounced")
    assert (await send(api, ok, **signed_query("guess")))[0] == 401
    assert (await send(api, b"<xml><FromUserName>x</FromUserName></xml>"))[0] == 422
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml>&a;</xml>'
    assert (await send(api, bomb))[0] == 422


async def test_an_unfollow_closes_the_wechat_channel_for_that_openid(api: Stack) -> None:
    openid = f"o-{uuid.uuid4().hex[:12]}"
    follower = await customer(api, wechat_openid=openid, email="f@example.com")
    other = await customer(api, wechat_openid=f"{openid}-other")
    body = push(openid, "unsubscribe", EventKey="")
    assert isinstance(parse_message(body.decode()), UnsubscribeEvent)

    assert await send(api, body) == (200, "success")

    row = await profile(api, follower)
    assert row.unsubscribed_channels == ["wechat"]
    assert row.consent["wechat"] is False and row.consent["email"] is True  # WeChat only
    assert (await profile(api, other)).unsubscribed_channels == []
    assert await send(api, push(openid, "subscribe", EventKey="")) == (200, "success")
    assert (await profile(api, follower)).unsubscribed_channels == [
        "wechat"
    ]  # no silent re-consent


async def test_pushes_are_404_without_a_server_token(
    temporal_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path
) -> None:
    channels = ChannelSettings(wechat=WeChatSettings(app_id="wx-app"))
    async with api_with(temporal_env, sqlite_url, tmp_path, channels) as stack:
        assert (await send(stack, push("o-1", "unsubscribe")))[0] == 404
