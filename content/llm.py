"""A client for any OpenAI-compatible chat-completions endpoint (POST {base_url}/chat/completions).

Structured output is negotiated once per endpoint: `response_format` json_schema, else
json_object (carrying the schema too, which llama-cpp-python enforces), else none (a plain
prompt whose answer `parse_copy` reads strictly). Servers refuse
a format in different ways: OpenAI and vLLM answer 400, gateways 422, llama-cpp-python 500. An
error whose message names the format means "unsupported" whatever its status: the client steps
down and keeps the mode the endpoint took for as long as it lives (one client per endpoint).

Every call streams, and ends in one of three ways: the JSON object is complete (the client stops
reading), the server stops (the channel's `max_tokens`, a stop sequence), or the deadline passes.
In the first and last case the client closes the stream, and a dropped stream is what makes
llama.cpp, vLLM or Ollama stop generating: a call given up on does not keep the server busy while
the next one waits behind it (a non-streamed request would run on to `max_tokens`). A server
that ignores `stream` and answers with one JSON body is read as such.

Every failure becomes an LLMError with a reason code; the caller falls back to a template, never
to an exception. Each call is measured (telemetry.metrics: latency and outcome).
"""

import asyncio
import json
import re
import time
from types import TracebackType
from typing import Any, Literal

import httpx
import structlog

from content.reasons import CheckFailure, Reason
from content.settings import LLMSettings
from telemetry import metrics

log = structlog.get_logger(__name__)

Mode = Literal["json_schema", "json_object", "plain"]
_MODES: tuple[Mode, ...] = ("json_schema", "json_object", "plain")

COPY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "body": {"type": "string"},
        "cta": {"type": "string"},
        "disclaimers": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["title", "body", "cta", "disclaimers"],
    "additionalProperties": False,
}

# What an error message says when it is about the structured-output format.
_NAMES_THE_FORMAT = re.compile(
    r"response[_ ]?format|json[_ ]?schema|json[_ ]?object|structured[_ ]output|grammar|guided",
    re.IGNORECASE,
)


class LLMError(Exception):
    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.failure = CheckFailure(reason=reason, detail=detail)


class _FormatRejected(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


class LLMClient:
    def __init__(self, settings: LLMSettings, *, http: httpx.AsyncClient | None = None) -> None:
        self._settings = settings
        self._http = http or httpx.AsyncClient()
        self._owns_http = http is None
        self._mode: Mode = settings.response_format

    @property
    def configured(self) -> bool:
        return bool(self._settings.base_url)

    @property
    def model(self) -> str:
        return self._settings.model

    @property
    def mode(self) -> Mode:
        """The structured-output mode currently used (after any step down)."""
        return self._mode

    async def complete(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int,
        schema: dict[str, Any] | None = None,
    ) -> str:
        """The assistant's text for `messages`; raises LLMError with a reason code. `schema`,
        the answer's JSON schema (content.output_schema; COPY_SCHEMA by default), rides along
        in the structured-output modes."""
        if not self._settings.base_url:
            raise LLMError(Reason.LLM_NOT_CONFIGURED, "no LLM base_url configured")
        while True:
            mode = self._mode
            try:
                return await self._measured(messages, max_tokens, mode, schema or COPY_SCHEMA)
            except _FormatRejected as rejected:
                lower = _MODES[_MODES.index(mode) + 1]
                # Calls in flight may each learn it: never step back up.
                self._mode = max(self._mode, lower, key=_MODES.index)
                log.info(
                    "llm.response_format_rejected",
                    mode=mode,
                    status=rejected.status,
                    next_mode=self._mode,
                )

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> "LLMClient":
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _measured(
        self, messages: list[dict[str, str]], max_tokens: int, mode: Mode, schema: dict[str, Any]
    ) -> str:
        started = time.monotonic()
        outcome = "ok"
        try:
            return await self._call(messages, max_tokens, mode, schema)
        except _FormatRejected:
            outcome = "format_rejected"
            raise
        except LLMError as exc:
            outcome = exc.failure.reason.value
            raise
        finally:
            metrics.llm_requests.labels(outcome).observe(time.monotonic() - started)

    async def _call(
        self, messages: list[dict[str, str]], max_tokens: int, mode: Mode, schema: dict[str, Any]
    ) -> str:
        settings = self._settings
        url = f"{(settings.base_url or '').rstrip('/')}/chat/completions"
        headers = {}
        if settings.api_key is not None:
            headers["Authorization"] = f"Bearer {settings.api_key.get_secret_value()}"
        payload = self._payload(messages, max_tokens, mode, schema)
        try:
            # One deadline for the whole call (httpx's timeouts are per read, so a server
            # trickling tokens could hold a journey's send much longer); leaving the `stream`
            # block early, on the deadline or a complete object, closes the connection.
            async with (
                asyncio.timeout(settings.timeout_seconds),
                self._http.stream(
                    "POST", url, json=payload, headers=headers, timeout=settings.timeout_seconds
                ) as response,
            ):
                if response.status_code != 200:
                    message = _error_message(await response.aread())
                    if mode != "plain" and _NAMES_THE_FORMAT.search(message):
                        raise _FormatRejected(response.status_code)
                    raise LLMError(
                        Reason.LLM_HTTP_ERROR, f"HTTP {response.status_code}: {message[:200]}"
                    )
                if response.headers.get("content-type", "").startswith("text/event-stream"):
                    return await _read_stream(response, mode)
                return _read_body(await response.aread())
        except TimeoutError as exc:
            raise LLMError(
                Reason.LLM_TIMEOUT, f"no complete answer within {settings.timeout_seconds} s"
            ) from exc
        except httpx.TimeoutException as exc:
            raise LLMError(Reason.LLM_TIMEOUT, type(exc).__name__) from exc
        except httpx.HTTPError as exc:
            raise LLMError(Reason.LLM_UNAVAILABLE, type(exc).__name__) from exc

    def _payload(
        self, messages: list[dict[str, str]], max_tokens: int, mode: Mode, schema: dict[str, Any]
    ) -> dict[str, Any]:
        settings = self._settings
        payload: dict[str, Any] = {
            **settings.extra_body,
            "model": settings.model,
            "messages": messages,
            "temperature": settings.temperature,
            "max_tokens": max_tokens,
            "stream": True,
        }
        if settings.stop:
            payload["stop"] = settings.stop
        if mode == "json_schema":
            payload["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "message_copy", "strict": True, "schema": schema},
            }
        elif mode == "json_object":
            # `schema` is llama-cpp-python's extension (it constrains decoding to the schema);
            # servers without it ignore the key.
            payload["response_format"] = {"type": "json_object", "schema": schema}
        return payload


async def _read_stream(response: httpx.Response, mode: Mode) -> str:
    """The streamed answer up to the end of its first JSON object (or of the stream)."""
    parts: list[str] = []
    end = _ObjectEnd()
    finish_reason = None
    async for line in response.aiter_lines():
        if not line.startswith("data:"):
            continue  # blank separators, comments, event names
        data = line[len("data:") :].strip()
        if data == "[DONE]":
            break
        try:
            chunk = json.loads(data)
        except ValueError as exc:
            raise LLMError(Reason.LLM_BAD_RESPONSE, "unreadable stream event") from exc
        if not isinstance(chunk, dict):
            raise LLMError(Reason.LLM_BAD_RESPONSE, "unreadable stream event")
        if "error" in chunk:
            message = json.dumps(chunk["error"])
            if mode != "plain" and _NAMES_THE_FORMAT.search(message):
                raise _FormatRejected(200)
            raise LLMError(Reason.LLM_BAD_RESPONSE, f"error in stream: {message[:200]}")
        for choice in chunk.get("choices") or []:  # a last usage-only event has none
            piece = ((choice or {}).get("delta") or {}).get("content") or ""
            closed_at = end.feed(piece)
            if closed_at >= 0:
                parts.append(piece[:closed_at])
                return "".join(parts)
            parts.append(piece)
            finish_reason = choice.get("finish_reason") or finish_reason
    return _finished("".join(parts), finish_reason, end)


def _read_body(body: bytes) -> str:
    """A whole (not streamed) chat.completion."""
    try:
        choice = json.loads(body)["choices"][0]
        content = choice["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise LLMError(Reason.LLM_BAD_RESPONSE, f"unexpected response: {exc!r}") from exc
    if not isinstance(content, str):
        raise LLMError(Reason.LLM_BAD_RESPONSE, "message content is not text")
    end = _ObjectEnd()
    closed_at = end.feed(content)
    return (
        content[:closed_at]
        if closed_at >= 0
        else _finished(content, choice.get("finish_reason"), end)
    )


def _finished(content: str, finish_reason: object, end: "_ObjectEnd") -> str:
    if finish_reason == "length" and end.opened:
        raise LLMError(Reason.LLM_TRUNCATED, "max_tokens reached before the JSON object closed")
    if not content.strip():
        raise LLMError(Reason.LLM_BAD_RESPONSE, "empty message content")
    return content


def _error_message(body: bytes) -> str:
    text = body.decode("utf-8", errors="replace")
    try:
        error = json.loads(text).get("error", text)
    except (ValueError, AttributeError):
        return text
    if isinstance(error, dict):
        return str(error.get("message") or error)
    return str(error)


class _ObjectEnd:
    """Where the first top-level JSON object of a text arriving in pieces closes."""

    def __init__(self) -> None:
        self._depth = 0
        self._in_string = False
        self._escaped = False
        self.opened = False

    def feed(self, piece: str) -> int:
        """The index in `piece` just past the object's closing brace, or -1."""
        for index, char in enumerate(piece):
            if self._in_string:
                if self._escaped:
                    self._escaped = False
                elif char == "\\":
                    self._escaped = True
                elif char == '"':
                    self._in_string = False
            elif char == '"' and self._depth:
                self._in_string = True
            elif char == "{":
                self._depth += 1
                self.opened = True
            elif char == "}" and self._depth:
                self._depth -= 1
                if not self._depth:
                    return index + 1
        return -1
