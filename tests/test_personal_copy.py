"""What the customer receives follows what we know (issue 20): the closed ticket's topic and
sentiment (the help for that topic; after an unhappy ticket an apology that sells nothing, on the
template and the LLM path), the categories chosen at signup, and the channel that carries the
message (an SMS a failover sends is written as an SMS).

Each test starts from the API, as a backend does, and reads the delivered message: the email the
SMTP server received, the SMS provider's request body."""

import asyncio
from email.message import Message
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from content import ContentSettings, LLMSettings
from storage.interests import interest_categories
from tests.conftest import Stack, eventually, mail_settings, unique, worker_stack
from tests.fakes.llm_server import FakeLLM, fake_llm
from tests.fakes.providers import FakeProviders, running_providers
from tests.journey_helpers import (
    full_cart,
    journey,
    midday_timezone,
    past_orders,
    post_event,
    put_customer,
    run_to_end,
)
from tests.smtp_server import SmtpSink

__all__ = ["fake_llm"]  # the fixture

TIPS = {
    "delivery": "You can track your parcel at any time from your order page.",
    "size": "Our size guide helps you find the right fit before you order.",
    "returns": "You can request a return from your order page within 7 days of delivery.",
    "other": "Our help centre has answers to common questions.",
}


def text_of(mail: Message) -> str:
    """The plain-text part of an email as the customer reads it."""
    for part in mail.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()
    raise AssertionError("no text part")


async def emailed_customer(stack: Stack, **profile: Any) -> tuple[str, str]:
    customer_id = unique("c")
    email = f"{customer_id}@example.com"
    profile = {"timezone": midday_timezone(), "consent": {"email": True}, **profile}
    await put_customer(stack, customer_id, locale="en-GB", email=email, **profile)
    return customer_id, email


async def followed_up(
    stack: Stack, env: WorkflowEnvironment, smtp: SmtpSink, warm: bool, **ticket: str
) -> tuple[str, dict[str, Any]]:
    """A closed ticket posted to the API; the follow-up email's text and its ledger entry."""
    customer_id, email = await emailed_customer(stack)
    if warm:
        await past_orders(stack, customer_id, 10, 5)
    await post_event(stack, customer_id, "support_ticket_closed", {"ticket_id": "t-1", **ticket})
    state = await run_to_end(env, journey(stack, "post_support", customer_id))
    assert [(m.channel, m.status) for m in state.messages] == [("email", "sent")]
    [mail] = smtp.to(email)
    [entry] = (await stack.http.get(f"/v1/customers/{customer_id}/messages")).json()["items"]
    return f"{mail['Subject']}\n{text_of(mail)}", entry


async def test_the_follow_up_helps_on_the_tickets_topic_and_apologises_after_an_unhappy_one(
    stack: Stack, temporal_env: WorkflowEnvironment, smtp: SmtpSink
) -> None:
    with temporal_env.with_time_skipping_disabled():
        (delivery, _), (size, _), (unhappy, entry) = await asyncio.gather(
            followed_up(stack, temporal_env, smtp, False, topic="delivery", sentiment="neutral"),
            followed_up(stack, temporal_env, smtp, False, topic="size"),
            # Warm: the step with picks and priority support; the ticket ended badly.
            followed_up(stack, temporal_env, smtp, True, topic="returns", sentiment="negative"),
        )

    assert TIPS["delivery"] in delivery and TIPS["size"] not in delivery
    assert TIPS["size"] in size and TIPS["delivery"] not in size
    assert TIPS["other"] not in delivery + size
    assert "sorry" not in (delivery + size).lower()

    assert TIPS["returns"] in unhappy
    assert unhappy.startswith("We're sorry about this\nWe're sorry for the trouble")
    # Care, not a sales push: the priority support stays, no picks, prices or discounts.
    assert "Your benefit: priority customer support" in unhappy
    assert not any(word in unhappy.lower() for word in ("picks", "you might also like", "% off"))
    assert (entry["step"], entry["content_path"]) == ("guidance_and_picks", "template")


async def test_the_llm_is_told_the_topic_and_sentiment_as_codes_and_may_not_sell_after_an_unhappy_ticket(  # noqa: E501
    temporal_env: WorkflowEnvironment,
    sqlite_url: str,
    smtp: SmtpSink,
    tmp_path: Path,
    fake_llm: FakeLLM,
) -> None:
    llm = LLMSettings(base_url=fake_llm.base_url, timeout_seconds=5)
    settings = mail_settings(sqlite_url, tmp_path, smtp, content=ContentSettings(llm=llm))
    footer = "\nFAQ: {{faq_link}}\nUnsubscribe: {{unsubscribe_url}}"
    selling = {
        "title": "Sorry about your return",
        "body": "We're sorry about your return. Shop our sale for new arrivals." + footer,
        "cta": "Shop the sale",
        "disclaimers": [],
    }
    caring = {
        "title": "Sorry about your return",
        "body": "We're sorry your return was a hassle. You can start a return from your order "
        "page whenever you need." + footer,
        "cta": "See the guide",
        "disclaimers": [],
    }
    fake_llm.queue(selling, caring)
    async with worker_stack(temporal_env, settings) as stack:
        mail, entry = await followed_up(
            stack, temporal_env, smtp, False, topic="returns", sentiment="negative"
        )
        customer_id = entry["customer_id"]

    # The model's first answer sold something: the checks sent it back; the second went out.
    assert (entry["content_path"], entry["content_reasons"]) == (
        "llm_retry",
        ["promotion_in_apology"],
    )
    assert "Shop our sale" not in mail and "your return was a hassle" in mail

    first_prompt = "\n".join(m["content"] for m in fake_llm.requests[0]["messages"])
    assert "support topic: returns" in first_prompt
    assert "ticket sentiment: negative" in first_prompt
    assert TIPS["returns"] in first_prompt and "apologise first, and sell nothing" in first_prompt
    retry = fake_llm.requests[1]["messages"][-1]["content"]
    assert "promotion_in_apology" in retry and "'sale'" in retry
    prompts = "\n".join(fake_llm.prompts())
    assert customer_id not in prompts and "@example.com" not in prompts


async def test_the_welcome_names_the_categories_chosen_at_signup(
    stack: Stack, temporal_env: WorkflowEnvironment, smtp: SmtpSink
) -> None:
    async def welcomed(categories: list[str]) -> tuple[str, str]:
        customer_id, email = await emailed_customer(stack)
        await post_event(stack, customer_id, "signup", {"interest_categories": categories})
        mails = await eventually(lambda: _mails(smtp, email))
        await journey(stack, "welcome", customer_id).terminate(reason="seen the welcome")
        return customer_id, text_of(mails[0])

    (runner, running), (reader, reading), (_, nothing) = await asyncio.gather(
        welcomed(["Running shoes", "Outerwear"]), welcomed(["Books"]), welcomed([])
    )

    assert "From the categories you chose: Running shoes, Outerwear" in running
    assert "From the categories you chose: Books" in reading
    # Nothing chosen: no line about categories, and nothing promising them.
    assert "categor" not in nothing.lower()
    # Kept on the customer, for the copy of later messages and for the recommendations.
    async with stack.sessions() as session:
        assert await interest_categories(session, runner) == ["Running shoes", "Outerwear"]
    profile = (await stack.http.get(f"/v1/customers/{reader}")).json()
    assert profile["interest_categories"] == ["Books"]


async def _mails(smtp: SmtpSink, address: str) -> list[Message]:
    return smtp.to(address)


async def test_a_failover_writes_the_copy_for_the_channel_that_carries_the_message(
    temporal_env: WorkflowEnvironment, sqlite_url: str, smtp: SmtpSink, tmp_path: Path
) -> None:
    with running_providers() as fake:
        settings = mail_settings(sqlite_url, tmp_path, smtp, channels=fake.channel_settings())
        async with worker_stack(temporal_env, settings) as stack:
            with temporal_env.with_time_skipping_disabled():
                (sms_state, _), (mail_state, email) = await asyncio.gather(
                    _email_refused(stack, temporal_env, smtp),
                    _push_refused(stack, temporal_env, fake),
                )

    # Email refused for good, SMS carried the last reminder: an SMS, not the email's words.
    last = sms_state.messages[-1]
    assert (last.step, last.status, last.channel) == ("stage_3", "sent", "sms")
    assert last.reason == "delivered_after_failover"
    [sms] = [b for b in fake.deliveries("sms").values() if b["reference"] == last.message_id]
    text = sms["text"]
    assert len(text) <= 70, text
    assert text.endswith("Reply TD to opt out")
    assert "Unsubscribe" not in text and "FAQ" not in text and "\n" not in text
    # The ledger keeps the copy that went out, written for SMS: no title, no button.
    assert last.content is not None and (last.content.title, last.content.cta) == ("", "")

    # The push token refused for good, email carried the first reminder: an email, with the
    # FAQ and unsubscribe lines the push copy has no room for.
    first = mail_state.messages[0]
    assert (first.step, first.status, first.channel) == ("stage_1", "sent", "email")
    assert first.reason == "delivered_after_failover"
    mail = text_of(smtp.to(email)[0])
    assert "Questions? See our FAQ: https://shop.example.com/help/faq" in mail
    assert "Unsubscribe: http" in mail


async def _email_refused(stack: Stack, env: WorkflowEnvironment, smtp: SmtpSink) -> tuple:
    """Hot (two recent orders, a full cart): the last cart reminder may go by SMS. Email ranks
    first; its server refuses the mailbox for good."""
    customer_id, email = await emailed_customer(
        stack, phone="+8613800000001", consent={"email": True, "sms": True}
    )
    smtp.refuse.add(email)
    await past_orders(stack, customer_id, 10, 5)
    await post_event(stack, customer_id, "cart_updated", full_cart(unique("cart")))
    return await run_to_end(env, journey(stack, "cart_abandonment", customer_id)), email


async def _push_refused(stack: Stack, env: WorkflowEnvironment, fake: FakeProviders) -> tuple:
    """Push ranks before email; the provider says the device token is unregistered."""
    customer_id, email = await emailed_customer(
        stack, push_token=unique("device"), consent={"email": True, "push": True}
    )
    fake.queue("push", "final")
    await post_event(stack, customer_id, "cart_updated", full_cart(unique("cart")))
    return await run_to_end(env, journey(stack, "cart_abandonment", customer_id)), email
