"""Picks in LLM copy, end to end: the model is given each pick's placeholders, reason code and
figures (nothing about the customer), its copy shows the live names and prices, and copy that
quotes a figure or a product it was not given is rejected for the template."""

from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from content import ContentSettings, LLMSettings
from tests.fakes.llm_server import FakeLLM, fake_llm
from tests.journey_helpers import journey, post_event, run_to_end
from tests.recommendations.send_rig import PRODUCTS, outbox, picks_stack, recorded, shopper
from tests.smtp_server import SmtpSink

__all__ = ["fake_llm"]  # the fixture
pytestmark = pytest.mark.timeout(180)

GOOD = {
    "title": "Still thinking it over?",
    "body": "{{item1_name}} is {{item1_price}} today. You may also like {{pick1_name}} "
    "({{pick1_price}}), {{pick1_reason}}, and {{pick2_name}} ({{pick2_price}}).",
    "cta": "Take a look",
    "disclaimers": [],
}
INVENTED_PRICE = GOOD | {"body": GOOD["body"] + " Today only $9.99 for {{pick3_name}}."}
INVENTED_PRODUCT = GOOD | {"body": GOOD["body"] + " And {{pick9_name}} too."}


async def test_llm_copy_shows_the_picks_and_cannot_invent_figures_or_products(
    temporal_env: WorkflowEnvironment, tmp_path: Path, smtp: SmtpSink, fake_llm: FakeLLM
) -> None:
    llm = ContentSettings(llm=LLMSettings(base_url=fake_llm.base_url, timeout_seconds=2))
    results = {}
    async with picks_stack(temporal_env, tmp_path, smtp, content=llm) as (stack, _):
        # Each views another item: copy cached for one context is not another's.
        for name, answer, viewed in (
            ("good", GOOD, "cereal"),
            ("price", INVENTED_PRICE, "milk"),
            ("product", INVENTED_PRODUCT, "chips"),
        ):
            # The answer, and for bad copy the same again on the retry.
            fake_llm.queue(*([answer] if answer is GOOD else [answer, answer]))
            customer_id = await shopper(stack, consent={"inapp": True}, locale="en-GB")
            await post_event(stack, customer_id, "product_viewed", {"sku": viewed})
            state = await run_to_end(
                temporal_env, journey(stack, "browse_abandonment", customer_id)
            )
            [message] = state.messages
            [sent] = await outbox(stack, customer_id)
            listed = (await stack.http.get(f"/v1/customers/{customer_id}/messages")).json()
            picks = await recorded(stack, message.message_id)
            results[name] = (sent.body, listed["items"][0], picks, customer_id)

    body, listed, picks, customer_id = results["good"]
    assert listed["content_path"] == "llm"
    first, second = (PRODUCTS[p.product_id] for p in picks[:2])
    assert f"You may also like {first[0]} (${first[1]})" in body
    assert f"and {second[0]} (${second[1]})" in body

    for name, reason in (("price", "price_mismatch"), ("product", "unknown_placeholder")):
        body, listed, picks, _ = results[name]
        assert listed["content_path"] == "template", name
        assert reason in listed["content_reasons"], (name, listed["content_reasons"])
        assert "$9.99" not in body and "Picked for you:" in body

    prompts = "\n".join(fake_llm.prompts())
    assert "reason bought_with (anchor cereal, buyers 50, share 0.4)" in prompts
    assert "{{pick1_name}}" in prompts and customer_id not in prompts
