"""The prompt's example shows the form of the message about other items, so copy that hands it
back (or hands back our template for the message, as SmolLM2-135M did) is turned away as
`copied_example`, and copy written for the cart is used."""

from catalog import CatalogClient
from content import Reason, render_fallback, with_live_items
from content.copy_text import Copy
from content.example import example_copy
from tests.content.test_content_writer import make_request, settings_for, write
from tests.fakes.llm_server import FakeLLM


def shown_example(fake_llm: FakeLLM) -> str:
    user = fake_llm.requests[0]["messages"][1]["content"]
    return user.split("Example of the form only, about other items: ", 1)[1]


async def test_the_example_is_about_other_items(fake_llm: FakeLLM, catalog: CatalogClient) -> None:
    for locale, other in (("en", "Rain jacket"), ("zh-CN", "防水外套")):
        fake_llm.reset()
        await write(make_request("push", locale), fake_llm, catalog)
        example = shown_example(fake_llm)
        assert other in example
        # Neither the cart's item nor its placeholder: copying the example names nothing given.
        assert "Trail shoe" not in example and "{{item1_name}}" not in example
        assert "{{item1_price}}" in example  # the figures stay placeholders


async def test_handing_back_the_example_or_our_template_falls_back(
    fake_llm: FakeLLM, catalog: CatalogClient
) -> None:
    request = make_request("push")
    live = await with_live_items(request, catalog)
    settings = settings_for(fake_llm)
    handed_back = [
        example_copy(live, settings),
        render_fallback(live, settings),  # names {{item1_name}}, so only the copy check sees it
    ]
    for answer in handed_back:
        fake_llm.reset()
        fake_llm.queue(answer.model_dump(), answer.model_dump())  # the retry hands it back too
        result = await write(request, fake_llm, catalog)
        assert result.path == "template", answer
        assert Reason.COPIED_EXAMPLE in result.reasons
        assert "copied_example: " in fake_llm.prompts()[-1]  # the retry was told why


async def test_copy_written_for_the_cart_is_used(fake_llm: FakeLLM, catalog: CatalogClient) -> None:
    own = Copy(
        title="Still thinking?",
        body="Your {{item1_name}} is waiting at {{item1_price}}, {{item1_stock_note}}. "
        "Take {{offer_value}} with code {{coupon_code}}.",
        cta="Back to my cart",
        disclaimers=["One use per order; cannot be combined with other offers."],
    )
    fake_llm.queue(own.model_dump())
    result = await write(make_request("push"), fake_llm, catalog)
    assert (result.path, result.reasons) == ("llm", [])
    assert result.content.body.startswith("Your Trail shoe is waiting at ¥599")


async def test_our_instructions_read_back_fall_back(
    fake_llm: FakeLLM, catalog: CatalogClient
) -> None:
    # What SmolLM2-135M answered a welcome with, on its own: the prompt's purpose line (as the
    # prompt words it today).
    echoed = {
        "title": "Welcome a new customer",
        "body": "In-app message: welcome a new customer, point them to the picks below, if any, "
        "and to their first-order benefit.",
        "cta": "Coupon Code",
        "disclaimers": [""],
    }
    fake_llm.queue(echoed, echoed)
    request = make_request("inapp", template_id="welcome", journey="welcome", recent_items=[])
    result = await write(request, fake_llm, catalog)
    assert result.path == "template"
    assert Reason.ECHOED_PROMPT in result.reasons


async def test_a_broken_placeholder_never_reaches_the_customer(
    fake_llm: FakeLLM, catalog: CatalogClient
) -> None:
    # Qwen2.5-Coder-0.5B's answer, which named the item only inside a broken placeholder.
    broken = Copy(
        title="Still in your cart",
        body="Your {{item1_name}} is waiting, {{item Trail shoe_stock_note}}.",
        cta="Back to my cart",
    )
    fake_llm.queue(broken.model_dump(), broken.model_dump())
    result = await write(make_request("push", offer=None), fake_llm, catalog)
    assert result.path == "template"
    assert Reason.UNKNOWN_PLACEHOLDER in result.reasons
    assert "{{item Trail" not in result.content.full_text()
