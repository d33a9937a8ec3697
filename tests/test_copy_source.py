"""Who wrote a message's copy, as the customer, the API and the timeline see it: the LLM's copy
when it passes every check, else the template, with the reason recorded."""

from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from content import ContentSettings, LLMSettings
from tests.conftest import Stack, eventually, mail_settings, unique, worker_stack
from tests.fakes.llm_server import FakeLLM, fake_llm
from tests.journey_helpers import abandon_a_cart
from tests.smtp_server import SmtpSink

__all__ = ["fake_llm"]  # the fixture

# What SmolLM2 wrote for a cart through llama-cpp-python's schema-constrained mode: the right
# shape, every channel rule kept, and nonsense to a customer.
NONSENSE = {
    "title": "Journey: Cart Abandonment",
    "body": "Your {{item1_name}} is waiting.\nFAQ: {{faq_link}}\nUnsubscribe: {{unsubscribe_url}}",
    "cta": "Back to my cart",
    "disclaimers": [],
}


async def abandon(stack: Stack, item: str) -> tuple[str, str]:
    """The customer id and email address of a customer whose cart journey ran to its end."""
    email = f"{unique('c')}@example.com"
    customer_id, _ = await abandon_a_cart(
        stack, item, locale="en-GB", consent={"email": True}, email=email
    )
    return customer_id, email


async def test_the_api_and_the_timeline_say_who_wrote_each_message(
    temporal_env: WorkflowEnvironment,
    sqlite_url: str,
    smtp: SmtpSink,
    tmp_path: Path,
    fake_llm: FakeLLM,
) -> None:
    llm = LLMSettings(base_url=fake_llm.base_url, timeout_seconds=2)
    settings = mail_settings(sqlite_url, tmp_path, smtp, content=ContentSettings(llm=llm))
    async with worker_stack(temporal_env, settings) as stack:
        fake_llm.default = NONSENSE
        fooled, fooled_email = await abandon(stack, "Linen shirt")
        fake_llm.default = "good"
        served, served_email = await abandon(stack, "Wool scarf")

        fallbacks = (await stack.http.get(f"/v1/customers/{fooled}/messages")).json()["items"]
        llm_copy = (await stack.http.get(f"/v1/customers/{served}/messages")).json()["items"]
        assert [(m["content_path"], m["content_reasons"]) for m in fallbacks] == [
            ("template", ["internal_term"])
        ] * 3
        assert [(m["content_path"], m["content_reasons"]) for m in llm_copy] == [("llm", [])] * 3

        # What the customers received.
        fooled_subjects = {m["Subject"] for m in smtp.to(fooled_email)}
        assert "Journey: Cart Abandonment" not in fooled_subjects
        assert fooled_subjects == {m["content"]["title"] for m in fallbacks}
        assert {m["Subject"] for m in smtp.to(served_email)} == {"Your picks are waiting"}

        async def decided() -> list[dict[str, Any]]:
            entries = (await stack.http.get(f"/v1/customers/{fooled}/timeline")).json()["items"]
            return [e for e in entries if e["kind"] == "message_decided"]

        decisions = await eventually(decided)
        assert [d["detail"]["content_path"] for d in decisions] == ["template"] * 3
        assert all(d["detail"]["content_reasons"] == ["internal_term"] for d in decisions)
        assert all(d["summary"].endswith("copy by template (internal_term)") for d in decisions)

    prompts = "\n".join(fake_llm.prompts())
    assert "Linen shirt" in prompts and "@example.com" not in prompts and fooled not in prompts
