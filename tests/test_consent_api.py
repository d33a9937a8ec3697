"""Consent per channel and the one-click unsubscribe link, through the API on both databases."""

from datetime import UTC, datetime, timedelta

import httpx

from channels.link_tokens import LinkPurpose
from channels.setup import link_tokens
from tests.conftest import Stack, unique


async def new_customer(api: Stack) -> str:
    customer_id = unique("c")
    profile = {"email": "ada@example.com", "consent": {"email": True, "sms": True, "push": True}}
    response = await api.http.put(f"/v1/customers/{customer_id}", json=profile)
    assert response.status_code == 200
    return customer_id


def link(api: Stack, customer_id: str, days: int = 30) -> str:
    token = link_tokens(api.settings).make(
        LinkPurpose.UNSUBSCRIBE, datetime.now(UTC) + timedelta(days=days), customer_id=customer_id
    )
    return f"/v1/unsubscribe/{token}"


async def test_consent_changes_merge_per_channel(api: Stack) -> None:
    customer_id = await new_customer(api)
    response = await api.http.put(f"/v1/customers/{customer_id}/consent", json={"sms": False})
    assert response.status_code == 200
    assert response.json()["consent"] == {"email": True, "sms": False, "push": True}

    unknown = await api.http.put(f"/v1/customers/{unique('c')}/consent", json={"sms": False})
    assert unknown.status_code == 404
    bad = await api.http.put(f"/v1/customers/{customer_id}/consent", json={"fax": True})
    assert bad.status_code == 422


async def test_one_click_unsubscribe_needs_no_key_and_stops_every_channel(api: Stack) -> None:
    customer_id = await new_customer(api)
    url = link(api, customer_id)
    async with httpx.AsyncClient(transport=api.http._transport, base_url="http://api") as browser:
        page = await browser.get(url)
        assert page.status_code == 200 and '<form method="post"' in page.text
        still = (await api.http.get(f"/v1/customers/{customer_id}")).json()
        assert still["unsubscribed_channels"] == []  # a GET (or a link scanner) changes nothing

        done = await browser.post(url, data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200 and "no longer receive" in done.text

    customer = (await api.http.get(f"/v1/customers/{customer_id}")).json()
    assert set(customer["unsubscribed_channels"]) == {"inapp", "push", "wechat", "email", "sms"}
    assert not any(customer["consent"].values())
    assert customer["silence_until"] is not None


async def test_tampered_expired_and_foreign_links_are_refused(api: Stack) -> None:
    customer_id = await new_customer(api)
    good = link(api, customer_id)
    tampered = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    expired = link(api, customer_id, days=-1)
    async with httpx.AsyncClient(transport=api.http._transport, base_url="http://api") as browser:
        for url in (tampered, expired, "/v1/unsubscribe/not-a-token"):
            response = await browser.post(url)
            assert response.status_code == 400, url
            assert response.json()["detail"][0]["field"] == "token"
        nobody = await browser.post(link(api, unique("nobody")))
        assert nobody.status_code == 404
