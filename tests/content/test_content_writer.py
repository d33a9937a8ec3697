"""write_copy against a real chat-completions server and a real catalog service on loopback."""

import json
import re
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from catalog import CatalogClient, ProductSnapshot
from content import (
    ContentRequest,
    ContentSettings,
    InMemoryCopyCache,
    LLMClient,
    LLMSettings,
    OfferTerms,
    Reason,
    fill_placeholders,
    recheck_at_send,
    write_copy,
    write_variants,
)
from tests.fakes.catalog_server import FakeCatalog
from tests.fakes.llm_server import FakeLLM, start_fake_llm

OFFER = OfferTerms(
    offer_id="cart-20",
    kind="amount_off",
    value=Decimal(20),
    min_spend=Decimal(199),
    valid_until=datetime(2025, 6, 1, 15, 59, tzinfo=UTC),
)


def make_request(channel: str = "push", locale: str = "en", **fields: object) -> ContentRequest:
    values: dict[str, object] = {
        "journey": "cart_abandonment",
        "stage": "2",
        "channel": channel,
        "template_id": "cart_abandonment.stage2",
        "locale": locale,
        "intent_segment": "warm",
        "interest_categories": ["shoes", "outdoor"],
        "price_sensitivity": "high",
        # The cart event's price is not the source of truth: the catalog's is.
        "recent_items": [ProductSnapshot(sku="SHOE-1", name="Trail shoe", price=Decimal("650"))],
        "offer": OFFER,
    }
    values.update(fields)
    return ContentRequest(**values)


# The LLM's deadline: roomy where a test waits for an answer (a loaded CI machine has taken
# over 0.5 s for one), tight where it waits for the deadline itself (under the fake's 5 s
# "timeout" delay either way).
ROOMY = 3.0
TIGHT = 0.5


def settings_for(llm: FakeLLM | None, timeout_seconds: float = ROOMY) -> ContentSettings:
    return ContentSettings(
        llm=LLMSettings(base_url=llm.base_url if llm else None, timeout_seconds=timeout_seconds)
    )


async def write(
    request: ContentRequest,
    fake_llm: FakeLLM | None,
    catalog: CatalogClient,
    cache: InMemoryCopyCache | None = None,
    timeout_seconds: float = ROOMY,
):
    settings = settings_for(fake_llm, timeout_seconds)
    async with LLMClient(settings.llm) as llm:
        return await write_copy(request, llm, catalog, cache, settings)


async def test_good_llm_copy_is_used_with_live_figures(
    fake_llm: FakeLLM, catalog: CatalogClient
) -> None:
    result = await write(make_request(), fake_llm, catalog)
    assert (result.path, result.reasons, result.checks.ok) == ("llm", [], True)
    assert "Trail shoe: ¥599" in result.content.body  # live price, not the cart's 650
    assert result.items[0].price == Decimal("599")
    assert result.template_version == "prompt-v2"
    assert result.model == "gpt-4o-mini"
    assert len(fake_llm.requests) == 1
    schema_request = fake_llm.requests[0]["response_format"]
    assert schema_request["type"] == "json_schema"
    assert schema_request["json_schema"]["schema"]["required"] == [
        "title",
        "body",
        "cta",
        "disclaimers",
    ]


@pytest.mark.parametrize(
    ("behaviour", "channel", "reason"),
    [
        ("wrong_price", "push", Reason.PRICE_MISMATCH),
        ("long_sms", "sms", Reason.SMS_TOO_LONG),
        ("banned_word", "wechat", Reason.BANNED_WORD),
        ("invalid_json", "email", Reason.INVALID_JSON),
    ],
)
async def test_a_failed_check_is_retried_once_with_the_reason(
    fake_llm: FakeLLM, catalog: CatalogClient, behaviour: str, channel: str, reason: Reason
) -> None:
    fake_llm.queue(behaviour, "good")
    result = await write(make_request(channel), fake_llm, catalog)
    assert result.path == "llm_retry"
    assert result.checks.ok
    assert result.reasons == [reason]
    assert len(fake_llm.requests) == 2
    retry_prompt = fake_llm.requests[1]["messages"][-1]["content"]
    assert reason.value in retry_prompt


@pytest.mark.parametrize(
    ("behaviour", "channel", "locale", "reason"),
    [
        ("wrong_price", "inapp", "zh-CN", Reason.PRICE_MISMATCH),
        ("long_sms", "sms", "zh-CN", Reason.SMS_TOO_LONG),
        ("banned_word", "push", "zh-CN", Reason.BANNED_WORD),
        ("invalid_json", "wechat", "en", Reason.INVALID_JSON),
    ],
)
async def test_failing_twice_ends_in_the_template(
    fake_llm: FakeLLM,
    catalog: CatalogClient,
    behaviour: str,
    channel: str,
    locale: str,
    reason: Reason,
) -> None:
    fake_llm.default = behaviour
    result = await write(make_request(channel, locale), fake_llm, catalog)
    assert result.path == "template"
    assert result.checks.ok
    assert [a.path for a in result.attempts] == ["llm", "llm_retry"]
    assert result.reasons == [reason]
    assert result.template_version == "fallback-v3"
    assert result.model is None
    assert len(fake_llm.requests) == 2


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [("timeout", Reason.LLM_TIMEOUT), ("error_500", Reason.LLM_HTTP_ERROR)],
)
async def test_llm_errors_go_straight_to_the_template(
    fake_llm: FakeLLM, catalog: CatalogClient, behaviour: str, reason: Reason
) -> None:
    fake_llm.default = behaviour
    started = time.monotonic()
    result = await write(make_request("sms"), fake_llm, catalog, timeout_seconds=TIGHT)
    assert time.monotonic() - started < 2
    assert (result.path, result.reasons, result.checks.ok) == ("template", [reason], True)
    assert len(fake_llm.requests) == 1


async def test_llm_down_or_absent_uses_the_template(catalog: CatalogClient) -> None:
    gone = start_fake_llm()
    gone.close()  # nothing listens on its port any more
    down = await write(make_request("email"), gone, catalog)
    assert (down.path, down.reasons, down.checks.ok) == ("template", [Reason.LLM_UNAVAILABLE], True)
    absent = await write(make_request("email"), None, catalog)
    assert (absent.path, absent.reasons) == ("template", [Reason.LLM_NOT_CONFIGURED])


async def test_prompts_carry_no_personal_data(fake_llm: FakeLLM, catalog: CatalogClient) -> None:
    customer = {"name": "Zhang Wei", "email": "zhang.wei@example.com", "phone": "+86 138 0013 8000"}
    with pytest.raises(ValidationError):
        make_request(first_name=customer["name"])  # the request has no place for it
    request = make_request("email", "zh-CN", active_window={"start": "19:00", "end": "21:00"})
    settings = settings_for(fake_llm)
    async with LLMClient(settings.llm) as llm:
        results = await write_variants(request, llm, catalog, None, settings)
    prompts = "\n".join(fake_llm.prompts())
    assert "Trail shoe" in prompts and "19:00-21:00" in prompts
    for value in customer.values():
        assert value not in prompts
    assert not re.search(r"[\w.+-]+@[\w-]+\.\w+", prompts)
    assert not re.search(r"1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}", prompts)
    email = results["emotional"]
    assert email.path == "llm"
    assert email.personal_placeholders == ["unsubscribe_url"]
    filled = fill_placeholders(
        email.content, {"unsubscribe_url": "https://shop.example.com/u/t0k3n"}
    )
    assert "https://shop.example.com/u/t0k3n" in filled.body


async def test_two_variants_per_send(fake_llm: FakeLLM, catalog: CatalogClient) -> None:
    settings = settings_for(fake_llm)
    async with LLMClient(settings.llm) as llm:
        results = await write_variants(make_request(), llm, catalog, None, settings)
    assert {v: r.variant for v, r in results.items()} == {
        "rational": "rational",
        "emotional": "emotional",
    }
    assert results["rational"].context_hash != results["emotional"].context_hash
    users = sorted(r["messages"][1]["content"] for r in fake_llm.requests)
    assert "Style: warm and personal" in users[1] and "Style: factual" in users[0]
    # The system message is the same for both (a server may cache the prefix).
    assert len({r["messages"][0]["content"] for r in fake_llm.requests}) == 1


async def test_price_changed_since_generation_fails_the_send_time_recheck(
    fake_llm: FakeLLM, fake_catalog: FakeCatalog, catalog: CatalogClient
) -> None:
    result = await write(make_request(), fake_llm, catalog)
    assert "¥599" in result.content.body
    assert (await recheck_at_send(result, catalog, OFFER)).ok

    fake_catalog.set_price("SHOE-1", "549")
    recheck = await recheck_at_send(result, catalog, OFFER)  # the cache still says 599
    assert recheck.reasons == [Reason.PRICE_MISMATCH]

    rewritten = await write(make_request(), fake_llm, catalog)
    assert "¥549" in rewritten.content.body
    assert (await recheck_at_send(rewritten, catalog, OFFER)).ok


async def test_offer_changed_since_generation_fails_the_recheck(
    fake_llm: FakeLLM, catalog: CatalogClient
) -> None:
    result = await write(make_request("inapp"), fake_llm, catalog)
    assert "¥20 off orders over ¥199" in result.content.body
    smaller = OFFER.model_copy(update={"value": Decimal(10)})
    assert (await recheck_at_send(result, catalog, smaller)).reasons == [Reason.DISCOUNT_MISMATCH]


async def test_catalog_down_gives_degraded_wording_and_blocks_stale_figures(
    fake_llm: FakeLLM, fake_catalog: FakeCatalog, catalog: CatalogClient
) -> None:
    before = await write(make_request("inapp"), fake_llm, catalog)
    fake_catalog.go_down()
    assert (await recheck_at_send(before, catalog, OFFER)).reasons == [Reason.PRICE_UNVERIFIABLE]

    fake_llm.default = "invalid_json"  # force the template to see its degraded wording
    degraded = await write(make_request("inapp"), fake_llm, catalog)
    assert degraded.path == "template" and degraded.checks.ok
    assert 'Trail shoe: low stock, tap "notify me when back"' in degraded.content.body
    assert "¥599" not in degraded.content.body and "¥650" not in degraded.content.body
    user_prompt = fake_llm.requests[-1]["messages"][1]["content"]
    assert "price and stock unknown right now" in user_prompt
    assert "{{item1_price}}" not in user_prompt
    assert (await recheck_at_send(degraded, catalog, OFFER)).ok


async def test_same_context_reuses_cached_copy(fake_llm: FakeLLM, catalog: CatalogClient) -> None:
    cache = InMemoryCopyCache()
    first = await write(make_request(), fake_llm, catalog, cache)
    again = await write(make_request(), fake_llm, catalog, cache)
    assert len(fake_llm.requests) == 1
    assert again.from_cache and not first.from_cache
    assert again.content == first.content
    assert again.content_hash == first.content_hash
    other = await write(make_request(variant="emotional"), fake_llm, catalog, cache)
    assert not other.from_cache
    assert len(fake_llm.requests) == 2
    assert len(cache) == 2


async def test_a_template_fallback_is_cached_too(fake_llm: FakeLLM, catalog: CatalogClient) -> None:
    cache = InMemoryCopyCache()
    fake_llm.default = "error_500"
    first = await write(make_request(), fake_llm, catalog, cache)
    fake_llm.default = "good"  # the retried activity must send what was decided before
    again = await write(make_request(), fake_llm, catalog, cache)
    assert first.path == again.path == "template"
    assert again.from_cache
    assert len(fake_llm.requests) == 1


async def test_without_an_llm_the_template_is_rendered_and_nothing_cached(
    catalog: CatalogClient,
) -> None:
    cache = InMemoryCopyCache()
    first = await write(make_request(), None, catalog, cache)
    again = await write(make_request(), None, catalog, cache)
    assert first.path == again.path == "template" and not again.from_cache
    assert again.content == first.content
    assert len(cache) == 0


async def test_result_survives_a_json_round_trip_for_durable_caches(
    fake_llm: FakeLLM, catalog: CatalogClient
) -> None:
    fake_llm.queue("banned_word", "good")
    result = await write(make_request("wechat", "zh-CN"), fake_llm, catalog)
    restored = type(result).model_validate_json(result.model_dump_json())
    assert restored == result
    assert restored.reasons == [Reason.BANNED_WORD]
    assert json.loads(result.model_dump_json())["checks"]["ok"] is True


async def test_the_prompt_shows_an_example_unless_told_not_to(
    fake_llm: FakeLLM, catalog: CatalogClient
) -> None:
    request = make_request("inapp")
    await write(request, fake_llm, catalog)
    shown = fake_llm.requests[-1]["messages"][1]["content"]
    assert 'Example of the form only, about other items: {"title": ' in shown
    assert "cart_abandonment" not in "\n".join(fake_llm.prompts())  # our ids never shown
    settings = settings_for(fake_llm).model_copy(update={"prompt_example": False})
    async with LLMClient(settings.llm) as llm:
        await write_copy(
            request.model_copy(update={"variant": "emotional"}), llm, catalog, None, settings
        )
    assert "Example of the form" not in fake_llm.requests[-1]["messages"][1]["content"]
