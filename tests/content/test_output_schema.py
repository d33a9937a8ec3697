"""The answer's JSON schema, sent with every structured-output request: what a server that
decodes by it (llama-cpp-python's grammar, OpenAI's and vLLM's json_schema) lets a model write
passes the checks a small model failed on (cta_mismatch, invented_number, internal_term, the
channel's lines), and still leaves the words to the model."""

import re
from decimal import Decimal
from typing import Any

from catalog import CatalogClient, ProductSnapshot
from content import ContentSettings, Copy, Reason, with_live_items
from content.checks import check_llm_copy
from content.output_schema import copy_schema
from tests.content.test_content_writer import OFFER, make_request, write
from tests.fakes.llm_server import FakeLLM

SETTINGS = ContentSettings()
SHOE = ProductSnapshot(sku="SHOE-1", name="Trail shoe", price=Decimal("599"), stock=3)


def fits(schema: dict[str, Any], field: str, value: object) -> bool:
    """Whether `value` may stand in `field` by the schema (the keywords it uses)."""
    rule = schema["properties"][field]
    if "const" in rule:
        return value == rule["const"]
    if "enum" in rule:
        return value in rule["enum"]
    return isinstance(value, str) and re.fullmatch(rule["pattern"], value) is not None


def test_the_body_keeps_figures_codes_and_field_names_to_our_placeholders() -> None:
    schema = copy_schema(make_request("inapp", recent_items=[SHOE]), SETTINGS)
    assert fits(schema, "body", "Your {{item1_name}} is still in your cart, at {{item1_price}}.")
    assert fits(schema, "body", "Still thinking about the Trail shoe? {{offer_value}} for you.")
    for made_up in (
        "Your {{item1_name}} now costs ¥549.",  # a price nobody gave
        "Your {{item1_name}} comes with 30-day returns.",  # a promise nobody made
        "Only 3 pairs of {{item1_name}} left!",
        "{{item1_name}} in cart_abandonment stage two",  # our identifiers
        "Journey - {{item1_name}}. CTA: buy",  # a label of our prompt
        "{{item1_name}} with {{discount}}",  # a placeholder not offered
        "{{item1_name}}, see https://bit.ly/x",  # a link of its own
        "Come back soon, we miss you.",  # names nothing it was given
    ):
        assert not fits(schema, "body", made_up), made_up


def test_the_button_and_the_channels_lines_are_ours_the_words_the_models() -> None:
    inapp = copy_schema(make_request("inapp"), SETTINGS)
    assert fits(inapp, "cta", "Back to my cart") and fits(inapp, "cta", "Shop now")
    assert not fits(inapp, "cta", "Click here to reply STOP and get 20% off")
    assert fits(inapp, "title", "Still in your cart") and fits(inapp, "disclaimers", [])

    wechat = copy_schema(make_request("wechat", "zh-CN"), SETTINGS)
    assert wechat["properties"]["cta"]["enum"] == ["查看详情"]
    assert fits(wechat, "disclaimers", ["有效期至{{offer_valid_until}}"])
    assert fits(wechat, "body", "你的{{item1_name}}还在购物车里，{{offer_value}}，别错过。")

    email = copy_schema(make_request("email"), SETTINGS)
    assert email["properties"]["disclaimers"]["const"] == [
        "Questions? See our FAQ: {{faq_link}}",
        "Unsubscribe: {{unsubscribe_url}}",
    ]

    push = copy_schema(make_request("push"), SETTINGS)
    assert fits(push, "title", "Your cart misses you")
    assert not fits(push, "title", "Your cart is waiting for you")  # 28 characters, limit 24

    sms = copy_schema(make_request("sms"), SETTINGS)
    assert sms["properties"]["title"]["enum"] == [""] == sms["properties"]["cta"]["enum"]
    assert fits(sms, "disclaimers", ["Reply TD to opt out"])
    assert fits(sms, "body", "Your cart still holds the {{item1_name}}.")
    assert not fits(sms, "body", "x" * 60)  # no room left for the opt-out line


async def test_copy_the_schema_admits_passes_the_checks_a_small_model_failed(
    catalog: CatalogClient,
) -> None:
    """Answers within the schema, one per channel: none fails a check the grammar is there
    for (the button, made-up numbers, our terms, the channel's lines, naming the item)."""
    by_grammar = {
        Reason.CTA_MISMATCH,
        Reason.INVENTED_NUMBER,
        Reason.INTERNAL_TERM,
        Reason.NAMES_NOTHING_GIVEN,
        Reason.MISSING_OPT_OUT,
        Reason.MISSING_FAQ_LINK,
        Reason.MISSING_UNSUBSCRIBE,
        Reason.MISSING_VIEW_DETAILS,
        Reason.UNKNOWN_PLACEHOLDER,
        Reason.PRICE_MISMATCH,
        Reason.DISCOUNT_MISMATCH,
    }
    answers = {
        "inapp": ("Still in your cart", "Your {{item1_name}} waits, {{offer_value}}.", "Shop now"),
        "push": ("Your cart misses you", "The {{item1_name}} is still there.", "Back to my cart"),
        "email": ("Your cart", "The {{item1_name}} is saved for you.", "Complete my order"),
        "wechat": ("Cart reminder", "Your {{item1_name}} is waiting.", "View details"),
        "sms": ("", "Your {{item1_name}} is waiting.", ""),
    }
    for channel, (title, body, cta) in answers.items():
        request = await with_live_items(make_request(channel), catalog)
        schema = copy_schema(request, SETTINGS)
        disclaimers = schema["properties"]["disclaimers"]["const"]
        answer = {"title": title, "body": body, "cta": cta, "disclaimers": disclaimers}
        assert all(fits(schema, field, value) for field, value in answer.items()), channel
        _, result = check_llm_copy(Copy(**answer), request, SETTINGS)
        assert not set(result.reasons) & by_grammar, (channel, result.failures)


async def test_every_structured_request_carries_the_messages_schema(
    fake_llm: FakeLLM, catalog: CatalogClient
) -> None:
    fake_llm.rejected_formats = {"json_schema"}
    await write(make_request("wechat", "zh-CN"), fake_llm, catalog)
    live = await with_live_items(make_request("wechat", "zh-CN"), catalog)
    sent = [request["response_format"] for request in fake_llm.requests]
    assert sent[0]["json_schema"]["schema"] == copy_schema(live, SETTINGS)
    assert sent[0]["json_schema"]["strict"] is True
    assert sent[1] == {"type": "json_object", "schema": copy_schema(live, SETTINGS)}
    assert OFFER.min_spend is not None  # the offer rides as {{offer_value}} only
    assert "199" not in str(sent[1]["schema"])
