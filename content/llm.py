"""A client for any OpenAI-compatible chat-completions endpoint (POST {base_url}/chat/completions).

Structured output is asked for as `response_format: {"type": "json_schema", ...}`; a server that
rejects it (400/422) is asked again with `{"type": "json_object"}`, then with no response_format,
and the client remembers what worked. Every failure becomes an LLMError with a reason code; the
caller falls back to a template, never to an exception.
"""

import asyncio
from types import TracebackType
from typing import Any, Literal

import httpx
import structlog

from content.reasons import CheckFailure, Reason
from content.settings import LLMSettings

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


class LLMError(Exception):
    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.failure = CheckFailure(reason=reason, detail=detail)


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
        """The structured-output mode currently used (after any downgrade)."""
        return self._mode

    async def complete(self, messages: list[dict[str, str]]) -> str:
        """The assistant's text for `messages`; raises LLMError with a reason code."""
        if not self._settings.base_url:
            raise LLMError(Reason.LLM_NOT_CONFIGURED, "no LLM base_url configured")
        while True:
            response = await self._post(messages)
            rejected_format = response.status_code in (400, 422) and self._mode != "plain"
            if not rejected_format:
                break
            downgraded = _MODES[_MODES.index(self._mode) + 1]
            log.info("llm.response_format_rejected", mode=self._mode, next_mode=downgraded)
            self._mode = downgraded
        if response.status_code != 200:
            raise LLMError(Reason.LLM_HTTP_ERROR, f"HTTP {response.status_code}")
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise LLMError(Reason.LLM_BAD_RESPONSE, f"unexpected response: {exc!r}") from exc
        if not isinstance(content, str) or not content.strip():
            raise LLMError(Reason.LLM_BAD_RESPONSE, "empty message content")
        return content

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

    async def _post(self, messages: list[dict[str, str]]) -> httpx.Response:
        settings = self._settings
        payload: dict[str, Any] = {
            "model": settings.model,
            "messages": messages,
            "temperature": settings.temperature,
            "max_tokens": settings.max_tokens,
        }
        if self._mode == "json_schema":
            payload["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "message_copy", "strict": True, "schema": COPY_SCHEMA},
            }
        elif self._mode == "json_object":
            payload["response_format"] = {"type": "json_object"}
        headers = {}
        if settings.api_key is not None:
            headers["Authorization"] = f"Bearer {settings.api_key.get_secret_value()}"
        url = f"{(settings.base_url or '').rstrip('/')}/chat/completions"
        try:
            # One deadline for the whole call: httpx's own timeouts are per read, so a server
            # trickling bytes could otherwise hold a journey's send for much longer.
            async with asyncio.timeout(settings.timeout_seconds):
                return await self._http.post(
                    url, json=payload, headers=headers, timeout=settings.timeout_seconds
                )
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise LLMError(
                Reason.LLM_TIMEOUT, f"no answer within {settings.timeout_seconds} s"
            ) from exc
        except httpx.HTTPError as exc:
            raise LLMError(Reason.LLM_UNAVAILABLE, type(exc).__name__) from exc
