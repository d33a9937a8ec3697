"""The LLM client against an OpenAI-compatible server on loopback: format negotiation, token
budgets, streams closed early, and every way a server fails (timeouts, 429, garbage).

What a real server does with the same requests is in tests/real_llm/ (llama-cpp-python)."""

import asyncio
import time

import pytest
from prometheus_client import REGISTRY

from catalog import CatalogClient
from content import ContentSettings, LLMClient, LLMError, LLMSettings, Reason, write_copy
from tests.content.test_content_writer import TIGHT, make_request, settings_for, write
from tests.fakes.llm_server import FakeLLM


def formats(fake: FakeLLM) -> list[str | None]:
    return [(r.get("response_format") or {}).get("type") for r in fake.requests]


def calls(outcome: str) -> float:
    return REGISTRY.get_sample_value("journey_llm_request_seconds_count", {"outcome": outcome}) or 0


def judged(result: str) -> float:
    return REGISTRY.get_sample_value("journey_llm_copy_total", {"result": result}) or 0


async def ended(fake: FakeLLM, count: int) -> list[str]:
    """How the fake's last `count` answers ended, once it has noticed."""
    for _ in range(100):
        if len(fake.generations) >= count:
            break
        await asyncio.sleep(0.02)
    return fake.generations


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (400, "response_format json_schema is not supported"),  # OpenAI-style servers
        (422, "Unprocessable: response_format.type must be 'text'"),  # gateways
        (500, "Failed to convert the JSON schema to a grammar"),  # llama-cpp-python
    ],
)
async def test_an_error_naming_the_format_steps_down_whatever_its_status(
    fake_llm: FakeLLM, catalog: CatalogClient, status: int, message: str
) -> None:
    fake_llm.rejected_formats = {"json_schema"}
    fake_llm.reject_status, fake_llm.reject_message = status, message
    settings = settings_for(fake_llm)
    async with LLMClient(settings.llm) as llm:
        first = await write_copy(make_request(), llm, catalog, None, settings)
        second = await write_copy(make_request("inapp"), llm, catalog, None, settings)
        assert llm.mode == "json_object"
    assert (first.path, second.path) == ("llm", "llm")
    # Negotiated once: the second message goes straight to the mode that worked.
    assert formats(fake_llm) == ["json_schema", "json_object", "json_object"]
    # json_object carries the schema too (llama-cpp-python constrains decoding to it).
    assert fake_llm.requests[1]["response_format"]["schema"]["additionalProperties"] is False


async def test_a_server_without_structured_output_gets_a_plain_prompt(
    fake_llm: FakeLLM, catalog: CatalogClient
) -> None:
    fake_llm.rejected_formats = {"json_schema", "json_object"}
    settings = settings_for(fake_llm)
    async with LLMClient(settings.llm) as llm:
        first = await write_copy(make_request(), llm, catalog, None, settings)
        second = await write_copy(make_request("inapp"), llm, catalog, None, settings)
        assert llm.mode == "plain"
    assert first.path == second.path == "llm"
    assert formats(fake_llm) == ["json_schema", "json_object", None, None]


async def test_an_error_not_about_the_format_keeps_the_format(
    fake_llm: FakeLLM, catalog: CatalogClient
) -> None:
    fake_llm.queue("error_500")
    settings = settings_for(fake_llm)
    async with LLMClient(settings.llm) as llm:
        failed = await write_copy(make_request(), llm, catalog, None, settings)
        good = await write_copy(make_request("inapp"), llm, catalog, None, settings)
        assert llm.mode == "json_schema"
    assert (failed.path, failed.reasons) == ("template", [Reason.LLM_HTTP_ERROR])
    assert good.path == "llm"
    assert formats(fake_llm) == ["json_schema", "json_schema"]


async def test_each_channel_gets_its_token_budget_stop_sequences_and_a_stream(
    fake_llm: FakeLLM, catalog: CatalogClient
) -> None:
    for channel in ("sms", "push", "email"):
        assert (await write(make_request(channel), fake_llm, catalog)).path == "llm"
    budgets = ContentSettings().llm.max_tokens
    assert [r["max_tokens"] for r in fake_llm.requests] == [
        budgets.sms,
        budgets.push,
        budgets.email,
    ]
    assert budgets.sms < 150 < budgets.email  # an SMS is a few dozen tokens
    assert all(r["stream"] is True and r["stop"] for r in fake_llm.requests)


async def test_the_stream_is_closed_as_soon_as_the_object_is_complete(
    fake_llm: FakeLLM, catalog: CatalogClient
) -> None:
    fake_llm.default = "runaway"  # whitespace after the object, until the client hangs up
    result = await write(make_request("inapp"), fake_llm, catalog)
    # Read within the deadline, since the client did not wait for the server to end.
    assert (result.path, result.checks.ok) == ("llm", True)
    assert await ended(fake_llm, 1) == ["disconnected"]


async def test_a_timeout_closes_the_stream_so_the_server_stops(
    fake_llm: FakeLLM, catalog: CatalogClient
) -> None:
    fake_llm.default = "stalled"  # generates forever inside the title
    before = calls("llm_timeout")
    started = time.monotonic()
    result = await write(make_request("push"), fake_llm, catalog, timeout_seconds=TIGHT)
    assert 0.5 <= time.monotonic() - started < 1.5
    assert (result.path, result.reasons, result.checks.ok) == (
        "template",
        [Reason.LLM_TIMEOUT],
        True,
    )
    assert await ended(fake_llm, 1) == ["disconnected"]  # it noticed and stopped
    assert calls("llm_timeout") == before + 1


@pytest.mark.parametrize(
    ("behaviour", "reason", "detail"),
    [
        ("rate_limited", Reason.LLM_HTTP_ERROR, "HTTP 429: rate limit reached"),
        ("garbage", Reason.LLM_BAD_RESPONSE, "unexpected response"),
        ("truncated", Reason.LLM_TRUNCATED, "max_tokens reached"),
        ("timeout", Reason.LLM_TIMEOUT, "no complete answer within 0.5 s"),
    ],
)
async def test_a_failed_call_falls_back_at_once_with_its_reason(
    fake_llm: FakeLLM, catalog: CatalogClient, behaviour: str, reason: Reason, detail: str
) -> None:
    fake_llm.default = behaviour
    before = calls(reason.value)
    started = time.monotonic()
    result = await write(make_request("wechat"), fake_llm, catalog, timeout_seconds=TIGHT)
    assert time.monotonic() - started < 1.5
    assert (result.path, result.reasons, result.checks.ok) == ("template", [reason], True)
    assert detail in result.attempts[0].failures[0].detail
    assert len(fake_llm.requests) == 1  # no second call to a server that is failing
    assert calls(reason.value) == before + 1


async def test_a_server_that_ignores_stream_is_read_whole(
    fake_llm: FakeLLM, catalog: CatalogClient
) -> None:
    fake_llm.ignore_stream = True
    assert (await write(make_request("email"), fake_llm, catalog)).path == "llm"
    fake_llm.default = "truncated"
    cut = await write(make_request("email"), fake_llm, catalog)
    assert cut.reasons == [Reason.LLM_TRUNCATED]


async def test_calls_and_judged_answers_are_counted(
    fake_llm: FakeLLM, catalog: CatalogClient
) -> None:
    ok, passed, banned = calls("ok"), judged("passed"), judged("banned_word")
    fake_llm.queue("banned_word", "good")
    result = await write(make_request("push"), fake_llm, catalog)
    assert result.path == "llm_retry"
    assert calls("ok") == ok + 2
    assert (judged("passed"), judged("banned_word")) == (passed + 1, banned + 1)


async def test_no_base_url_is_not_a_call() -> None:
    async with LLMClient(LLMSettings()) as llm:
        with pytest.raises(LLMError) as raised:
            await llm.complete([{"role": "user", "content": "hi"}], max_tokens=10)
    assert raised.value.failure.reason is Reason.LLM_NOT_CONFIGURED
