"""Every shipped template, on every channel, in both languages and variants, passes the checks
with the contexts journeys will give it."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from catalog import Availability, ProductSnapshot, unknown_product
from content import (
    ContentRequest,
    ContentSettings,
    OfferTerms,
    Reason,
    check_copy,
    check_sense,
    render_fallback,
    sms_text,
    template_ids,
)
from content.placeholders import placeholders_in
from content.tone import without_promotion
from models.channels import Channel

SETTINGS = ContentSettings()
LONG_NAME = "Ultralight waterproof trail running shoe with recycled mesh upper, men's, size 42"
ITEMS = {
    "none": [],
    "live": [
        ProductSnapshot(
            sku="S1",
            name="Trail shoe",
            category="shoes",
            price=Decimal("599"),
            stock=40,
            availability=Availability.IN_STOCK,
        ),
        ProductSnapshot(
            sku="S2",
            name="Wool socks",
            price=Decimal("39.90"),
            stock=2,
            availability=Availability.LOW_STOCK,
        ),
        ProductSnapshot(
            sku="S3",
            name="Cap",
            price=Decimal("99"),
            stock=0,
            availability=Availability.OUT_OF_STOCK,
        ),
    ],
    "catalog_down": [unknown_product("S1", LONG_NAME), unknown_product("S2", "最新款羊毛袜")],
}
EXPIRY = datetime(2025, 6, 1, 15, 59, tzinfo=UTC)
OFFERS = {
    "none": None,
    "amount": OfferTerms(
        offer_id="a",
        kind="amount_off",
        value=Decimal(20),
        min_spend=Decimal(199),
        valid_until=EXPIRY,
    ),
    "percent": OfferTerms(
        offer_id="p", kind="percent_off", value=Decimal("12.5"), valid_until=EXPIRY
    ),
    "shipping": OfferTerms(offer_id="f", kind="free_shipping", valid_until=EXPIRY),
    "service": OfferTerms(
        offer_id="s", kind="extended_returns", value=Decimal(30), code_placeholder=None
    ),
}


WITHOUT_ITEMS = {Reason.NAMES_NOTHING_GIVEN, Reason.UNFINISHED_TEXT}


@pytest.mark.parametrize("template_id", sorted(template_ids()))
@pytest.mark.parametrize("channel", list(Channel))
@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
def test_template_passes_every_check(template_id: str, channel: Channel, locale: str) -> None:
    for variant in ("rational", "emotional"):
        for items_name, items in ITEMS.items():
            for offer_name, offer in OFFERS.items():
                request = ContentRequest(
                    journey=template_id.split(".")[0],
                    stage="1",
                    channel=channel,
                    template_id=template_id,
                    locale=locale,
                    recent_items=items,
                    offer=offer,
                    variant=variant,
                    support_topic="delivery",
                )
                draft = render_fallback(request, SETTINGS)
                copy, result = check_copy(draft, request, SETTINGS)
                context = f"{variant}/{items_name}/{offer_name}"
                assert result.ok, (context, result.failures, copy)
                # Reviewed wording passes the sense checks too, so they do not misfire on good
                # copy. Without items a template's subject is its author's choice (only
                # post_support's speaks to the ticket's topic), and the price_drop and
                # low_stock ones end on "Current availability:", which their items follow.
                nonsense = [
                    f
                    for f in check_sense(draft, request, SETTINGS)
                    if items or f.reason not in WITHOUT_ITEMS
                ]
                assert not nonsense, (context, nonsense, copy)
                # Only personal placeholders stay open for the sender.
                assert placeholders_in(copy.full_text()) <= {
                    "first_name",
                    "coupon_code",
                    "unsubscribe_url",
                    "store_map_link",
                }, context


def test_template_wording_when_the_catalog_is_down() -> None:
    request = ContentRequest(
        journey="price_drop",
        stage="1",
        channel="inapp",
        template_id="price_drop",
        locale="en",
        recent_items=[unknown_product("S1", "Trail shoe")],
    )
    copy, result = check_copy(render_fallback(request, SETTINGS), request, SETTINGS)
    assert result.ok
    assert 'Trail shoe: low stock, tap "notify me when back"' in copy.body
    assert "¥" not in copy.full_text()


def test_templates_show_live_figures_and_the_offer() -> None:
    request = ContentRequest(
        journey="cart_abandonment",
        stage="3",
        channel="wechat",
        template_id="cart_abandonment.stage3",
        locale="zh-CN",
        recent_items=ITEMS["live"][1:2],
        offer=OFFERS["percent"],
    )
    copy, _ = check_copy(render_fallback(request, SETTINGS), request, SETTINGS)
    assert "Wool socks：¥39.90，仅剩2件" in copy.body
    assert "你的权益：8.75折" in copy.body
    assert "有效期至2025-06-01 23:59" in copy.body  # Asia/Shanghai
    assert copy.cta == "查看详情"


def test_sms_template_keeps_the_code_when_it_fits() -> None:
    request = ContentRequest(
        journey="cart_abandonment",
        stage="3",
        channel="sms",
        template_id="cart_abandonment.stage3",
        locale="en",
        offer=OFFERS["amount"],
    )
    copy, result = check_copy(render_fallback(request, SETTINGS), request, SETTINGS)
    assert result.ok
    assert sms_text(copy) == "Your cart offer ends soon. Code {{coupon_code}}. Reply TD to opt out"


@pytest.mark.parametrize("channel", list(Channel))
@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
def test_after_an_unhappy_ticket_every_follow_up_apologises_and_sells_nothing(
    channel: Channel, locale: str
) -> None:
    for items_name, items in ITEMS.items():
        for offer_name, offer in OFFERS.items():
            asked = ContentRequest(
                journey="post_support",
                stage="2",
                channel=channel,
                template_id="post_support",
                locale=locale,
                recent_items=items,
                offer=offer,
                support_topic="returns",
                support_sentiment="negative",
            )
            request = without_promotion(asked)  # as write_copy does
            copy, result = check_copy(render_fallback(request, SETTINGS), request, SETTINGS)
            context = f"{items_name}/{offer_name}"
            assert result.ok, (context, result.failures, copy)
            text = copy.full_text()
            assert ("抱歉" if locale == "zh-CN" else "sorry") in text.lower(), context
            assert not any(item.name and item.name in text for item in items), context
            if offer_name == "service":  # care, not a promotion: it stays
                assert request.offer == offer
            else:
                assert request.offer is None
    # The same copy for a ticket that ended well would fail the tone check.
    selling = ContentRequest(
        journey="post_support",
        stage="2",
        channel=channel,
        template_id="post_support",
        locale=locale,
        recent_items=ITEMS["live"],
        support_sentiment="negative",
    )
    _, result = check_copy(
        render_fallback(selling.model_copy(update={"support_sentiment": None}), SETTINGS),
        selling,
        SETTINGS,
    )
    assert Reason.MISSING_APOLOGY in result.reasons
    if channel is not Channel.SMS:  # an SMS has no room for items
        assert Reason.PROMOTION_IN_APOLOGY in result.reasons


@pytest.mark.parametrize("template_id", ["welcome", "winback.category"])
@pytest.mark.parametrize("channel", list(Channel))
@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
def test_templates_about_interests_name_the_chosen_categories(
    template_id: str, channel: Channel, locale: str
) -> None:
    for variant in ("rational", "emotional"):
        request = ContentRequest(
            journey=template_id.split(".")[0],
            stage="1",
            channel=channel,
            template_id=template_id,
            locale=locale,
            variant=variant,
            interest_categories=["Running shoes", "home_decor", "{{first_name}}", "Tea"],
        )
        draft = render_fallback(request, SETTINGS)
        copy, result = check_copy(draft, request, SETTINGS)
        assert result.ok, (variant, result.failures, copy)
        assert not check_sense(draft, request, SETTINGS), variant
        if channel is Channel.SMS:
            continue  # 70 characters: no room
        separator = "、" if locale == "zh-CN" else ", "
        # At most three, as text: a category's braces never become a placeholder.
        shown = separator.join(["Running shoes", "home decor", "{{lbrace}}{{lbrace}}first name}}"])
        assert shown in copy.body, (variant, copy.body)
