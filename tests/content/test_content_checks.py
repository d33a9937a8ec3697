from datetime import UTC, datetime
from decimal import Decimal

import pytest

from catalog import Availability, ProductSnapshot, unknown_product
from content import (
    ContentRequest,
    ContentSettings,
    Copy,
    MissingPlaceholderError,
    OfferTerms,
    Reason,
    check_copy,
    check_figures,
    extract_figures,
    fill_placeholders,
    parse_copy,
)
from content.checks import check_banned_terms
from content.reasons import CheckFailure

SETTINGS = ContentSettings()
SHOE = ProductSnapshot(
    sku="SHOE-1",
    name="Trail shoe",
    price=Decimal("599"),
    stock=3,
    availability=Availability.LOW_STOCK,
)
OFFER = OfferTerms(
    offer_id="cart-20",
    kind="amount_off",
    value=Decimal("20"),
    min_spend=Decimal("199"),
    valid_until=datetime(2025, 6, 1, 15, 59, tzinfo=UTC),
)


def request(channel: str, locale: str = "en", **fields: object) -> ContentRequest:
    values: dict[str, object] = {
        "journey": "cart_abandonment",
        "stage": "3",
        "channel": channel,
        "template_id": "cart_abandonment.stage3",
        "locale": locale,
        "recent_items": [SHOE],
        "offer": OFFER,
    }
    values.update(fields)
    return ContentRequest(**values)


def reasons(copy: Copy, req: ContentRequest) -> list[Reason]:
    return check_copy(copy, req, SETTINGS)[1].reasons


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("now ¥599", "money", "599"),
        ("仅需599元", "money", "599"),
        ("USD 1,299.50 today", "money", "1299.50"),
        ("满199减20元", "money", "199"),
        ("15% off", "percent", "15"),
        ("全场8.5折", "percent", "15"),
        ("八五折", "percent", "15"),
        ("85折", "percent", "15"),
        ("only 3 left", "stock", "3"),
        ("仅剩3件", "stock", "3"),
        ("stock: 12", "stock", "12"),
    ],
)
def test_extracts_price_discount_and_stock_figures(text: str, kind: str, value: str) -> None:
    figures = extract_figures(text)
    assert (figures[0].kind, figures[0].value) == (kind, Decimal(value))


def test_ignores_numbers_that_are_not_figures() -> None:
    assert extract_figures("7-day returns, valid until 2025-06-01 23:59, 满2件") == []


def test_figures_must_match_the_live_catalog_and_the_offer() -> None:
    assert check_figures("Trail shoe ¥599, only 3 left. ¥20 off over ¥199", [SHOE], OFFER) == []
    wrong = check_figures("Trail shoe now ¥549", [SHOE], OFFER)
    assert [f.reason for f in wrong] == [Reason.PRICE_MISMATCH]
    assert "549" in wrong[0].detail
    assert [f.reason for f in check_figures("only 5 left", [SHOE], OFFER)] == [
        Reason.STOCK_MISMATCH
    ]
    assert [f.reason for f in check_figures("30% off", [SHOE], OFFER)] == [Reason.DISCOUNT_MISMATCH]
    percent = OfferTerms(offer_id="p15", kind="percent_off", value=Decimal("15"))
    assert check_figures("15% off, 8.5折", [SHOE], percent) == []


@pytest.mark.parametrize(
    "text",
    [
        "¥20 off over ¥199",
        "¥20 off orders over ¥199",
        "Spend ¥199 or more and save ¥20",
        "a minimum spend of ¥199, then ¥20 off",
        "满199减20",
        "满¥199减¥20",
        "满199元减20元，20元优惠券",
        "Your benefit: ¥20",
    ],
)
def test_the_offer_stated_as_it_is_passes(text: str) -> None:
    assert check_figures(text, [SHOE], OFFER) == []


@pytest.mark.parametrize(
    "text",
    [
        # Qwen2.5-Coder-0.5B's "you still have a 199-yuan coupon" for ¥20 off over ¥199
        "今天，你还有199元的优惠券，可以使用它来购买绿茶礼盒。",
        "a ¥199 coupon for your cart",
        "a 199-yuan coupon",
        "¥199 off your order",
        "Save ¥199 today",
        "立减199元",
        "满20减199",
        "¥199 off orders over ¥20",
        "Trail shoe now ¥199",  # the minimum as if it were a price
        "¥20 off orders over ¥599",  # a price as if it were the minimum
    ],
)
def test_the_minimum_spend_stated_as_the_discount_or_a_price_fails(text: str) -> None:
    failures = check_figures(text, [SHOE], OFFER)
    assert failures, text
    assert {f.reason for f in failures} <= {Reason.DISCOUNT_MISMATCH, Reason.PRICE_MISMATCH}


def test_a_minimum_spend_that_is_also_a_price_may_be_stated_as_the_price() -> None:
    pan = SHOE.model_copy(update={"price": Decimal("199")})
    assert check_figures("Pan ¥199, and ¥20 off orders over ¥199", [pan], OFFER) == []
    assert check_figures("a ¥199 coupon", [pan], OFFER)


def test_figures_for_an_item_the_catalog_could_not_confirm_are_unverifiable() -> None:
    failures = check_figures("¥599, only 3 left", [unknown_product("SHOE-1")], None)
    assert [f.reason for f in failures] == [Reason.PRICE_UNVERIFIABLE, Reason.STOCK_UNVERIFIABLE]


@pytest.mark.parametrize(
    "text",
    [
        "Guaranteed to fit",
        "our BEST EVER sale",
        "100% cotton",
        "全网最低",
        "行业第一",
        "绝对正品",
        "国家级品质",
        "The best shoes for your trip",
        "Buy the Ultimate Digital Camera",
        "the perfect gift",
    ],
)
def test_banned_and_exaggerated_terms_fail(text: str) -> None:
    failures = check_banned_terms(text, SETTINGS.banned_terms.values())
    assert failures and failures[0].reason is Reason.BANNED_WORD


def test_banned_terms_respect_word_boundaries_and_configuration() -> None:
    assert check_banned_terms("first-order guarantee", SETTINGS.banned_terms.values()) == []
    assert check_banned_terms("A #10 bus", SETTINGS.banned_terms.values()) == []
    custom = ContentSettings(banned_terms={"en": ["cheap"]})
    assert check_banned_terms("a cheap trick", custom.banned_terms.values())
    assert check_banned_terms("guaranteed", custom.banned_terms.values()) == []


def test_sms_limit_counts_the_opt_out_line_and_reserved_code_width() -> None:
    req = request("sms")
    fits = Copy(
        title="", body="Your offer ends soon. Code {{coupon_code}}. Reply TD to opt out", cta=""
    )
    assert reasons(fits, req) == []
    too_long = Copy(
        title="",
        body="Your offer ends soon, come back to your cart. Code {{coupon_code}}. "
        "Reply TD to opt out",
        cta="",
    )
    assert reasons(too_long, req) == [Reason.SMS_TOO_LONG]
    no_opt_out = Copy(title="", body="Your offer ends soon.", cta="")
    assert reasons(no_opt_out, req) == [Reason.MISSING_OPT_OUT]
    chinese = Copy(title="", body="专属优惠即将到期，券码{{coupon_code}}。回TD退订", cta="")
    assert reasons(chinese, request("sms", "zh-CN")) == []


def test_push_title_limit() -> None:
    ok = Copy(title="Your offer ends soon", body="{{item1_name}} {{item1_price}}", cta="Go")
    assert reasons(ok, request("push")) == []
    long = ok.model_copy(update={"title": "Your personal offer ends very soon"})
    assert reasons(long, request("push")) == [Reason.PUSH_TITLE_TOO_LONG]


def test_email_needs_faq_link_and_unsubscribe() -> None:
    body = "Your cart is saved.\nFAQ: {{faq_link}}\nUnsubscribe: {{unsubscribe_url}}"
    ok = Copy(title="Your cart", body=body, cta="Back to cart")
    assert reasons(ok, request("email")) == []
    bare = ok.model_copy(update={"body": "Your cart is saved."})
    assert reasons(bare, request("email")) == [Reason.MISSING_FAQ_LINK, Reason.MISSING_UNSUBSCRIBE]


def test_wechat_needs_view_details_and_the_offer_validity() -> None:
    ok = Copy(
        title="优惠即将到期",
        body="你的权益：{{offer_value}}\n有效期至{{offer_valid_until}}",
        cta="查看详情",
    )
    assert reasons(ok, request("wechat", "zh-CN")) == []
    bare = ok.model_copy(update={"body": "你的权益：{{offer_value}}", "cta": "去看看"})
    assert reasons(bare, request("wechat", "zh-CN")) == [
        Reason.MISSING_VIEW_DETAILS,
        Reason.MISSING_OFFER_VALIDITY,
    ]
    no_offer = request("wechat", "zh-CN", offer=None)
    assert reasons(Copy(title="t", body="b", cta="查看详情"), no_offer) == []


def test_placeholders_and_links_must_be_the_ones_offered() -> None:
    invented = Copy(title="Hi", body="{{item1_price}} {{discount}} {{phone}}", cta="Go")
    assert reasons(invented, request("inapp")) == [Reason.UNKNOWN_PLACEHOLDER]
    unknown_price = request("inapp", recent_items=[unknown_product("SHOE-1", "Trail shoe")])
    assert reasons(Copy(title="Hi", body="{{item1_price}}", cta="Go"), unknown_price) == [
        Reason.UNKNOWN_PLACEHOLDER
    ]
    link = Copy(title="Hi", body="Buy at http://bit.ly/x or {{faq_link}}", cta="Go")
    assert reasons(link, request("inapp")) == [Reason.UNKNOWN_LINK]


def test_parse_copy_reads_one_object_strictly() -> None:
    fenced = '```json\n{"title": "t", "body": "b", "cta": "c", "disclaimers": ["d"]}\n```'
    assert parse_copy(fenced) == Copy(title="t", body="b", cta="c", disclaimers=["d"])
    bad_json = parse_copy('{"title": "t", body: b}')
    assert isinstance(bad_json, CheckFailure) and bad_json.reason is Reason.INVALID_JSON
    no_json = parse_copy("I cannot help with that.")
    assert isinstance(no_json, CheckFailure) and no_json.reason is Reason.INVALID_JSON
    wrong_shape = parse_copy('{"title": "t", "text": "b"}')
    assert isinstance(wrong_shape, CheckFailure) and wrong_shape.reason is Reason.INVALID_SHAPE
    # Nothing is guessed: an extra field or a field of the wrong type is not copy.
    extra = parse_copy('{"title": "t", "body": "b", "cta": "c", "disclaimers": [], "sku": "x"}')
    assert isinstance(extra, CheckFailure) and extra.reason is Reason.INVALID_SHAPE
    assert "unexpected: sku" in extra.detail
    as_text = parse_copy('{"title": "t", "body": "b", "cta": "c", "disclaimers": "d"}')
    assert isinstance(as_text, CheckFailure) and as_text.reason is Reason.INVALID_SHAPE


def test_fill_placeholders_after_checks() -> None:
    copy = Copy(title="Hi {{first_name}}", body="Code {{coupon_code}}", cta="Go")
    filled = fill_placeholders(copy, {"first_name": "Alexandria", "coupon_code": "CART-7Q2K"})
    assert filled.title == "Hi Alexandr"  # cut to the width the length checks reserved
    assert filled.body == "Code CART-7Q2K"
    with pytest.raises(MissingPlaceholderError, match="coupon_code"):
        fill_placeholders(copy, {"first_name": "Li"})
