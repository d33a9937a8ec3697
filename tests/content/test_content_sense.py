"""The sense checks on LLM copy: each catches one kind of nonsense a customer would see, and
says which; and the writer records it and falls back."""

from decimal import Decimal

import pytest

from catalog import CatalogClient, ProductSnapshot
from content import ContentRequest, ContentSettings, Copy, Reason, check_llm_copy
from tests.content.test_content_writer import make_request, write
from tests.fakes.llm_server import FakeLLM

SETTINGS = ContentSettings()
SHOE = ProductSnapshot(sku="SHOE-1", name="Trail shoe", price=Decimal("599"))


def request(channel: str = "inapp", locale: str = "en", **fields: object) -> ContentRequest:
    values: dict[str, object] = {
        "journey": "cart_abandonment",
        "stage": "1",
        "channel": channel,
        "template_id": "cart_abandonment.stage1",
        "locale": locale,
        "recent_items": [SHOE],
    }
    values.update(fields)
    return ContentRequest(**values)


def failures(copy: Copy, req: ContentRequest) -> list[tuple[Reason, str]]:
    return [(f.reason, f.detail) for f in check_llm_copy(copy, req, SETTINGS)[1].failures]


def reasons(copy: Copy, req: ContentRequest) -> list[Reason]:
    return check_llm_copy(copy, req, SETTINGS)[1].reasons


GOOD = Copy(
    title="Still thinking?", body="Your {{item1_name}} is still in your cart.", cta="Back to cart"
)


def test_sensible_copy_passes() -> None:
    assert failures(GOOD, request()) == []
    chinese = Copy(title="还在考虑吗？", body="你的{{item1_name}}还在购物车里。", cta="回到购物车")
    assert failures(chinese, request(locale="zh-CN")) == []


@pytest.mark.parametrize(
    ("title", "body", "term"),
    [
        ("Journey: Cart Abandonment", "Your {{item1_name}} is waiting.", "Journey:"),
        ("Your cart", "cart_abandonment: your {{item1_name}} is waiting.", "cart_abandonment"),
        ("Your cart", "Stage 1 reminder: {{item1_name}} is waiting.", "Stage 1"),
        ("Your cart", "Your {{item1_name}} (SHOE-1) is waiting.", "SHOE-1"),
        ("Your cart", "Your {{item1_name}} is waiting. CTA: come back", "CTA:"),
        ("Your cart", "A price sensitivity deal on {{item1_name}}.", "price sensitivity"),
        ("Cart abandonment", "Your {{item1_name}} is waiting.", "abandonment"),
    ],
)
def test_internal_identifiers_and_field_names_are_not_copy(
    title: str, body: str, term: str
) -> None:
    found = failures(GOOD.model_copy(update={"title": title, "body": body}), request())
    assert [reason for reason, _ in found] == [Reason.INTERNAL_TERM]
    assert term in found[0][1]


@pytest.mark.parametrize(
    ("locale", "copy"),
    [
        ("en", Copy(title="购物车提醒", body="你的{{item1_name}}还在等你。", cta="回到购物车")),
        ("en", Copy(title="Tu carrito", body="Tu {{item1_name}} te espera.", cta="Volver")),
        ("zh-CN", Copy(title="Your cart", body="Your {{item1_name}} is waiting.", cta="Go back")),
        ("zh-CN", Copy(title="カート", body="{{item1_name}}がお待ちしています。", cta="カートへ")),
        # SmolLM2-135M under a grammar: a character cut between tokens, shown as U+FFFD
        ("en", Copy(title="Wool scarf", body="Your {{item1_name}} at \ufffdx.", cta="Shop now")),
        # SmolLM2-135M's email to a Chinese customer: English but for the button and the fixed lines
        (
            "zh-CN",
            Copy(
                title="The Ultimate Guide to Buying a Trail Running Shoe",
                body="{{item1_name}}",
                cta="看新品",
                disclaimers=["常见问题：{{faq_link}}", "退订邮件：{{unsubscribe_url}}"],
            ),
        ),
    ],
)
def test_copy_must_be_in_the_customers_language(locale: str, copy: Copy) -> None:
    assert Reason.WRONG_LANGUAGE in reasons(copy, request(locale=locale))


def test_a_product_name_from_the_catalog_does_not_count_against_the_language() -> None:
    silk = ProductSnapshot(sku="S-9", name="真丝围巾", price=Decimal("199"))
    literal = Copy(title="Still thinking?", body="Your 真丝围巾 is waiting.", cta="Back to cart")
    assert failures(literal, request(recent_items=[silk])) == []


def test_copy_names_an_item_or_the_topic_it_was_given() -> None:
    vague = GOOD.model_copy(update={"body": "Something is waiting for you."})
    found = failures(vague, request())
    assert found == [
        (Reason.NAMES_NOTHING_GIVEN, "names none of what it is about: item Trail shoe")
    ]
    by_name = GOOD.model_copy(update={"body": "Your trail shoes are waiting."})
    assert failures(by_name, request()) == []
    ticket = request(template_id="post_support", recent_items=[], support_topic="delivery")
    assert failures(GOOD.model_copy(update={"body": "Track your parcel any time."}), ticket) == []
    assert reasons(vague, ticket) == [Reason.NAMES_NOTHING_GIVEN]
    both = request(template_id="post_support", support_topic="size")
    assert failures(GOOD.model_copy(update={"body": "Our sizing guide helps."}), both) == []
    # Nothing to name, nothing to check; an SMS has no room for it.
    assert failures(vague, request(recent_items=[])) == []
    sms = Copy(title="", body="Something is waiting for you. Reply TD to opt out", cta="")
    assert failures(sms, request("sms")) == []


@pytest.mark.parametrize(
    ("channel", "copy", "detail"),
    [
        ("push", GOOD.model_copy(update={"cta": "Reply TD to opt out"}), "SMS or unsubscribe"),
        (
            "inapp",
            GOOD.model_copy(update={"cta": "Come back to your cart and finish your order today"}),
            "a sentence, not a button",
        ),
        ("wechat", GOOD.model_copy(update={"body": GOOD.body + " View details"}), "WeChat"),
        ("sms", Copy(title="", body="Tap the button below. Reply TD to opt out", cta=""), "SMS"),
        ("push", GOOD.model_copy(update={"cta": "※⁍{% }{}"}), "is not words"),
    ],
)
def test_the_call_to_action_fits_the_channel(channel: str, copy: Copy, detail: str) -> None:
    found = failures(copy, request(channel))
    assert [reason for reason, _ in found] == [Reason.CTA_MISMATCH]
    assert detail in found[0][1]


@pytest.mark.parametrize(
    "copy",
    [
        GOOD.model_copy(update={"body": "Your {{item1_name}} is waiting.\nCode:"}),
        GOOD.model_copy(update={"body": "Your {{item1_name}} is waiting,"}),
        GOOD.model_copy(update={"body": "Your code: {{coupon_code}}, {"}),
        GOOD.model_copy(update={"title": "你的{{item1_name}}："}),
    ],
)
def test_text_left_hanging_is_unfinished(copy: Copy) -> None:
    assert Reason.UNFINISHED_TEXT in reasons(copy, request())


def test_a_label_followed_by_its_value_is_finished() -> None:
    body = "Your {{item1_name}} is waiting.\nAvailability:\n{{item1_name}}: {{item1_stock_note}}"
    assert failures(GOOD.model_copy(update={"body": body}), request()) == []


def test_numbers_come_from_a_source() -> None:
    # The stage 1 template offers returns within 7 days; a model's 30 days is a new promise.
    promise = GOOD.model_copy(update={"body": "Your {{item1_name}} waits: returns within 30 days."})
    assert failures(promise, request()) == [(Reason.INVENTED_NUMBER, "numbers no source gave: 30")]
    sourced = GOOD.model_copy(update={"body": "Your {{item1_name}} waits: returns within 7 days."})
    assert failures(sourced, request()) == []
    named = ProductSnapshot(sku="S-42", name="Trail shoe 42", price=Decimal("599"))
    size = GOOD.model_copy(update={"body": "Your Trail shoe 42 is waiting."})
    assert failures(size, request(recent_items=[named])) == []
    chinese = Copy(
        title="购物车", body="你的{{item1_name}}还在，30天日新闪护卫。", cta="回到购物车"
    )
    assert reasons(chinese, request(locale="zh-CN")) == [Reason.INVENTED_NUMBER]


async def test_the_writer_records_the_failed_sense_check_and_falls_back(
    fake_llm: FakeLLM, catalog: CatalogClient
) -> None:
    nonsense = {
        "title": "Journey: Cart Abandonment",
        "body": "Your {{item1_name}} is waiting.",
        "cta": "Take a look",
        "disclaimers": [],
    }
    fake_llm.queue(nonsense, nonsense)
    result = await write(make_request("inapp"), fake_llm, catalog)
    assert (result.path, result.reasons, result.checks.ok) == (
        "template",
        [Reason.INTERNAL_TERM],
        True,
    )
    retry_prompt = fake_llm.requests[1]["messages"][-1]["content"]
    assert "internal_term" in retry_prompt and "Journey:" in retry_prompt
