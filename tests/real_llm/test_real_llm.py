"""The content step with a real model behind a real OpenAI-compatible server: llama-cpp-python
serving a small instruct model (SmolLM2-135M-Instruct unless REAL_LLM_MODEL says otherwise),
as a user would point CONTENT__LLM__BASE_URL at it.

What the model writes is not fixed, so these tests assert what must hold whatever it writes:
the format is negotiated, calls end within their budget, an abandoned call stops the server,
every message is either LLM copy that passed every check or the template with its reason, some
messages are the LLM's, every whole answer is within the schema the request sent (the server
decoded by it), and no personal data is in any request the server received. Each prints its
figures (docs/content.md quotes them).
"""

import json
import math
import os
import re
import statistics
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from catalog import CatalogClient, CatalogSettings, ProductSnapshot
from content import (
    ContentRequest,
    ContentSettings,
    CopyResult,
    LLMClient,
    LLMError,
    LLMSettings,
    OfferTerms,
    Reason,
    check_copy,
    render_fallback,
    with_live_items,
    write_copy,
)
from content.copy_text import Copy
from content.example import COPY_THRESHOLD, example_copy, overlap
from tests.conftest import mail_settings, worker_stack
from tests.content.test_output_schema import fits
from tests.fakes.catalog_server import FakeCatalog
from tests.journey_helpers import abandon_a_cart
from tests.real_llm.conftest import RealLLM
from tests.smtp_server import SmtpSink

pytestmark = pytest.mark.timeout(900)

ITEMS = {
    "RL-SHOE": ("Trail running shoe", "shoes", "599", 3),
    "RL-SHIRT": ("Linen shirt", "shirts", "259", 40),
    "RL-MUG": ("Ceramic mug", "home", "49", 12),
    "RL-BAG": ("Canvas tote bag", "bags", "129", 2),
    "RL-SCARF": ("Wool scarf", "accessories", "189", 25),
    "RL-TEA": ("绿茶礼盒", "food", "88", 30),
    "RL-PAN": ("不粘炒锅", "kitchen", "199", 8),
}
# Whether the prompt shows its example (REAL_LLM_PROMPT_EXAMPLE=1): Qwen2.5-Coder-0.5B hands the
# example back with it and writes its own copy without it (docs/content.md, the figures).
PROMPT_EXAMPLE = os.environ.get("REAL_LLM_PROMPT_EXAMPLE", "0") == "1"
OFFER = OfferTerms(offer_id="cart-20", kind="amount_off", value=Decimal(20), min_spend=Decimal(199))


def llm_settings(real_llm: RealLLM, **overrides: Any) -> LLMSettings:
    return LLMSettings(base_url=real_llm.base_url, model=real_llm.model, **overrides)


def sound(result: CopyResult) -> bool:
    """LLM copy that passed every check, or the template with the reason it was used."""
    if result.path == "template":
        return bool(result.reasons) and result.checks.ok
    return result.checks.ok and result.path in ("llm", "llm_retry")


def figures(results: list[CopyResult]) -> str:
    paths = Counter(r.path for r in results)
    reasons = Counter(reason.value for r in results for reason in r.reasons)
    return f"copy by {dict(paths)}, reasons {dict(reasons.most_common())}"


def ended_by_deadline(records: list[dict[str, Any]], timeout: float) -> bool:
    """Every call the server finished with had ended by the client's deadline (completed, or
    stopped when the client hung up), with a second and a half for the server to notice."""
    return all(r["ended"] - r["received"] <= timeout + 1.5 for r in records)


def seconds(records: list[dict[str, Any]]) -> str:
    times = [r["ended"] - r["received"] for r in records]
    return f"median {statistics.median(times):.1f} s, max {max(times):.1f} s"


# Twenty messages: the cart's three steps, a resolved support request, a welcome; every channel;
# English and Chinese. (template, channel, locale, item, support topic)
CASES: list[tuple[str, str, str, str | None, str | None]] = [
    ("cart_abandonment.stage1", "inapp", "en", "RL-SHOE", None),
    ("cart_abandonment.stage1", "push", "en", "RL-SHIRT", None),
    ("cart_abandonment.stage2", "email", "en", "RL-MUG", None),
    ("cart_abandonment.stage2", "wechat", "en", "RL-BAG", None),
    ("cart_abandonment.stage1", "sms", "en", "RL-SCARF", None),
    ("cart_abandonment.stage3", "inapp", "en", "RL-SHIRT", None),
    ("cart_abandonment.stage2", "push", "en", "RL-SCARF", None),
    ("cart_abandonment.stage3", "email", "en", "RL-SHOE", None),
    ("post_support", "inapp", "en", "RL-SHOE", "size"),
    ("post_support", "email", "en", "RL-BAG", "returns"),
    ("post_support", "push", "en", "RL-MUG", "delivery"),
    ("welcome", "inapp", "en", None, None),
    ("welcome", "email", "en", None, None),
    ("cart_abandonment.stage1", "inapp", "zh-CN", "RL-TEA", None),
    ("cart_abandonment.stage2", "push", "zh-CN", "RL-PAN", None),
    ("cart_abandonment.stage3", "wechat", "zh-CN", "RL-TEA", None),
    ("cart_abandonment.stage1", "sms", "zh-CN", "RL-PAN", None),
    ("post_support", "inapp", "zh-CN", "RL-PAN", "payment"),
    ("post_support", "email", "zh-CN", "RL-TEA", "delivery"),
    ("welcome", "push", "zh-CN", None, None),
]


def case_request(index: int, case: tuple[str, str, str, str | None, str | None]) -> ContentRequest:
    template_id, channel, locale, sku, topic = case
    journey, _, stage = template_id.partition(".stage")
    items = [ProductSnapshot(sku=sku, name=ITEMS[sku][0])] if sku else []
    categories = [ITEMS[sku][1]] if sku else ["shoes", "home"]
    return ContentRequest(
        journey=journey,
        stage=stage or "1",
        channel=channel,
        template_id=template_id,
        locale=locale,
        intent_segment="warm",
        interest_categories=categories,
        recent_items=items,
        support_topic=topic,
        # The cart's later steps and the welcome present a benefit; the others none.
        offer=OFFER if stage in ("2", "3") or journey == "welcome" else None,
        variant=("rational", "emotional")[index % 2],
    )


def answered_objects(records: list[dict[str, Any]]) -> list[tuple[dict[str, Any], Any]]:
    """Each streamed answer that holds a whole JSON object, with the schema its request sent."""
    found = []
    for record in records:
        schema = (json.loads(record["body"]).get("response_format") or {}).get("schema")
        pieces = []
        for line in record.get("answer", "").splitlines():
            data = line.removeprefix("data:").strip()
            if line.startswith("data:") and data != "[DONE]":
                for choice in json.loads(data).get("choices") or []:
                    pieces.append((choice.get("delta") or {}).get("content") or "")
        text = "".join(pieces)
        try:
            answer, _ = json.JSONDecoder().raw_decode(text[text.index("{") :])
        except ValueError:
            continue  # cut short by the deadline or max_tokens
        found.append((schema, answer))
    return found


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: with fewer than 100 values, p99 is the largest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


async def test_copy_from_the_real_model_is_checked_or_falls_back(
    real_llm: RealLLM, fake_catalog: FakeCatalog
) -> None:
    """With the prompt's example about other items, what passes every check is the model's own
    copy for the item, not the example or our template handed back; every other message is the
    template with its reasons."""
    for sku, (name, category, price, stock) in ITEMS.items():
        fake_catalog.set_product(sku, price=price, stock=stock, name=name, category=category)
    # A small model on two shared cores: up to 30 s a call; temperature 0 for repeatable runs.
    settings = ContentSettings(
        llm=llm_settings(real_llm, temperature=0.0, timeout_seconds=30),
        prompt_example=PROMPT_EXAMPLE,
    )
    requests = [case_request(index, case) for index, case in enumerate(CASES)]
    started = len(real_llm.requests())
    results, lives, took = [], [], []
    async with (
        LLMClient(settings.llm) as llm,
        CatalogClient(CatalogSettings(base_url=fake_catalog.base_url)) as catalog,
    ):
        for request in requests:  # one at a time: each message's latency is its own
            begun = time.monotonic()
            results.append(await write_copy(request, llm, catalog, None, settings))
            took.append(time.monotonic() - begun)
            lives.append(await with_live_items(request, catalog))
        negotiated = llm.mode
    calls = real_llm.requests()[started:]
    formats = [(json.loads(c["body"]).get("response_format") or {}).get("type") for c in calls]
    answered = [c for c in calls if c["status"] == 200]

    def shown(copy: Copy, live: ContentRequest) -> Copy:
        return check_copy(copy, live, settings)[0]  # as the customer would read it

    # How much of each LLM copy is the prompt's example, or our template for the message.
    likeness = [
        (
            overlap(result.content, shown(example_copy(live, settings), live), live, settings),
            overlap(result.content, shown(render_fallback(live, settings), live), live, settings),
        )
        for result, live in zip(results, lives, strict=True)
        if result.path != "template"
    ]
    from_llm = [r for r in results if r.path != "template"]
    copied = sum(
        Reason.COPIED_EXAMPLE in [f.reason for a in r.attempts for f in a.failures] for r in results
    )
    by_channel: dict[str, list[float]] = {}
    for request, seconds_taken in zip(requests, took, strict=True):
        by_channel.setdefault(request.channel.value, []).append(seconds_taken)
    latency = ", ".join(
        f"{channel} {percentile(times, 0.5):.1f}/{percentile(times, 0.99):.1f} s"
        for channel, times in by_channel.items()
    )
    print(
        f"\n{real_llm.model}, example {'shown' if settings.prompt_example else 'not shown'}, "
        f"{len(requests)} messages one by one: {len(from_llm)} passed every check "
        f"({figures(results)}); {copied} had an answer turned away as a copy of the example; "
        f"word-pair overlap of the passing copies with the example and with our template: "
        f"{[(round(a, 2), round(b, 2)) for a, b in likeness]}; format {negotiated} (asked: "
        f"{formats[:2]}, then the same); {len(calls)} calls, {seconds(answered)} at the server; "
        f"per message p50/p99 by channel: {latency}"
    )
    for request, result in zip(requests, results, strict=True):
        print(f"  {request.template_id} {request.channel.value} {request.locale}: {result.path}")
        for attempt in result.attempts:
            print(f"    {attempt.path}: {[f.reason.value for f in attempt.failures]}")
            print(f"      {[f.detail[:110] for f in attempt.failures]}")
        if result.path != "template":
            print(f"    {result.content.model_dump_json()}")

    # Negotiated once, to a structured mode, and kept.
    assert negotiated in ("json_schema", "json_object")
    first = formats.index(negotiated)
    assert formats[first:] == [negotiated] * (len(formats) - first)
    # The server decoded by the message's schema (llama-cpp-python falls back to any JSON when
    # it cannot turn a schema into a grammar): every whole answer is within it.
    whole = answered_objects(
        [c for c in answered if json.loads(c["body"])["response_format"]["type"] == negotiated]
    )
    outside = [
        answer
        for schema, answer in whole
        if set(answer) != set(schema["properties"])
        or not all(fits(schema, field, value) for field, value in answer.items())
    ]
    print(f"answers within the message's schema: {len(whole) - len(outside)} of {len(whole)}")
    assert whole and not outside, outside
    assert not any(Reason.LLM_HTTP_ERROR in r.reasons for r in results)
    assert ended_by_deadline(answered, settings.llm.timeout_seconds)
    unsound = [r.model_dump() for r in results if not sound(r)]
    assert not unsound, unsound
    # Some messages carry the model's own copy, neither the example nor our template. With the
    # message's schema as a grammar even SmolLM2-135M (CI's model) writes some: 7, 6 and 6 of
    # 20 in three runs of 2026-12-07 under load, none before it (docs/content.md).
    assert from_llm, figures(results)
    assert all(a <= COPY_THRESHOLD and b <= COPY_THRESHOLD for a, b in likeness), likeness


async def test_an_abandoned_call_does_not_hold_the_server(real_llm: RealLLM) -> None:
    """A call given up on at its deadline closes the stream, the server stops generating, and
    the next call is served at once instead of waiting behind it."""
    story = [{"role": "user", "content": "Write a long story about a lighthouse keeper."}]
    hello = [{"role": "user", "content": "Say hello in five words."}]
    plain = {"response_format": "plain", "temperature": 0.0, "stop": []}

    def forced(tokens: int) -> dict[str, Any]:
        # llama-cpp-python's min_tokens: exactly `tokens` tokens, however the story goes.
        return {**plain, "extra_body": {"min_tokens": tokens}}

    async with LLMClient(llm_settings(real_llm, timeout_seconds=60, **forced(100))) as llm:
        started = time.monotonic()
        await llm.complete(story, max_tokens=100)
        rate = 100 / (time.monotonic() - started)  # tokens per second, this machine, now
    async with LLMClient(llm_settings(real_llm, timeout_seconds=60, **plain)) as llm:
        started = time.monotonic()
        await llm.complete(hello, max_tokens=20)
        alone = time.monotonic() - started

    before = len(real_llm.requests())
    abandoned_settings = llm_settings(real_llm, timeout_seconds=1.5, **forced(3000))
    async with LLMClient(abandoned_settings) as impatient:
        with pytest.raises(LLMError) as gave_up:
            await impatient.complete(story, max_tokens=3000)
    assert gave_up.value.failure.reason is Reason.LLM_TIMEOUT
    async with LLMClient(llm_settings(real_llm, timeout_seconds=60, **plain)) as llm:
        started = time.monotonic()
        await llm.complete(hello, max_tokens=20)
        after = time.monotonic() - started
    abandoned = next(
        r for r in real_llm.requests()[before:] if json.loads(r["body"])["max_tokens"] == 3000
    )
    ran = abandoned["ended"] - abandoned["received"]
    would_run = 3000 / rate
    print(
        f"\nabandoned call: {rate:.0f} tokens/s, so 3000 tokens take {would_run:.0f} s; the "
        f"server stopped {ran:.1f} s after it came (client deadline 1.5 s); the next call took "
        f"{after:.2f} s (alone: {alone:.2f} s)"
    )
    assert ran < 1.5 + 1.5 < would_run
    assert after < alone + 1.5


async def test_cart_journeys_through_the_real_model(
    real_llm: RealLLM,
    temporal_env: WorkflowEnvironment,
    sqlite_url: str,
    smtp: SmtpSink,
    tmp_path: Path,
) -> None:
    """Five customers abandon carts; every message of their journeys is sent, the model's checked
    copy or the template with its reason, and the server never saw who they are."""
    content = ContentSettings(
        llm=llm_settings(real_llm, timeout_seconds=30, temperature=0.0),
        prompt_example=PROMPT_EXAMPLE,
    )
    settings = mail_settings(sqlite_url, tmp_path, smtp, content=content)
    people = [
        ("Zhang Wei", "zhang.wei@example.com", "+86 138 0013 8000", "zh-CN"),
        ("Ada Lovelace", "ada.lovelace@example.com", "+44 7700 900123", "en-GB"),
        ("Grace Hopper", "grace.hopper@example.com", "+1 202 555 0147", "en-US"),
        ("Li Na", "li.na@example.com", "+86 139 1234 5678", "en"),
        ("Alan Turing", "alan.turing@example.com", "+44 7700 900456", "en-GB"),
    ]
    before = len(real_llm.requests())
    started = time.monotonic()
    async with worker_stack(temporal_env, settings) as stack:

        async def abandon(person: tuple[str, str, str, str], item: str) -> str:
            name, email, phone, locale = person
            first, last = name.split()
            customer_id, _ = await abandon_a_cart(
                stack,
                item,
                email=email,
                phone=phone,
                locale=locale,
                consent={"email": True},
                attributes={"first_name": first, "last_name": last},
            )
            return customer_id

        # One after another: llama-cpp-python serves one request at a time, and journeys sending
        # at once would wait for each other at the server (docs/content.md).
        names = [name for name, *_ in ITEMS.values()][: len(people)]
        customers = [
            await abandon(person, name) for person, name in zip(people, names, strict=True)
        ]
        messages = [
            m
            for c in customers
            for m in (await stack.http.get(f"/v1/customers/{c}/messages")).json()["items"]
        ]
    elapsed = time.monotonic() - started
    calls = real_llm.requests()[before:]
    paths = Counter(m["content_path"] for m in messages)
    reasons = Counter(
        r for m in messages if m["content_path"] == "template" for r in m["content_reasons"]
    )
    print(
        f"\nfive cart journeys through the real model in {elapsed:.0f} s: {len(messages)} "
        f"messages, copy by {dict(paths)}; fallback reasons {dict(reasons.most_common())}; "
        f"{len(calls)} calls, {seconds(calls)}"
    )
    for message in messages:
        if message["content_path"] != "template":
            print(f"  {message['step']}: {json.dumps(message['content'], ensure_ascii=False)}")

    assert len(messages) == 15 and {m["status"] for m in messages} == {"sent"}
    for message in messages:
        if message["content_path"] == "template":
            assert message["content_reasons"], message
        else:
            assert message["content_path"] in ("llm", "llm_retry"), message
    # Whether any of these emails is the model's is left to the first test's figures: the 0.5B
    # model's emails mostly miss the FAQ line (docs/content.md); here what matters is that every
    # message went out, said where its words came from, and gave nobody away.
    assert ended_by_deadline(calls, content.llm.timeout_seconds)
    # No personal data in anything the model's server received.
    received = "\n".join(c["body"] for c in calls)
    for name, email, phone, _ in people:
        for value in (*name.split(), email, phone, phone.replace(" ", "")):
            assert not re.search(rf"(?<!\w){re.escape(value)}(?!\w)", received), value
    for customer_id in customers:
        assert customer_id not in received
