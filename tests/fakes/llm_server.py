"""An OpenAI-compatible chat-completions server on loopback, for tests.

    llm = start_fake_llm()            # or the `fake_llm` fixture
    settings = LLMSettings(base_url=llm.base_url, timeout_seconds=0.5)
    llm.queue("wrong_price", "good")  # next two answers; then `llm.default` ("good")
    ...
    llm.prompts()                     # every message text it received
    llm.generations                   # how each answer ended: "done" or "disconnected"
    llm.close()

Answers stream as server-sent events when the request asks for `stream` (unless
`ignore_stream`), as llama.cpp, vLLM and OpenAI do, a few characters per event.

Behaviours: "good" (copy that passes the checks for the channel and language named in the
prompt), "wrong_price", "long_sms", "banned_word", "invalid_json", "timeout" (no answer for
`delay_seconds`), "error_500", "rate_limited" (429 with Retry-After), "garbage" (200 with a
body that is no chat completion), "truncated" (half the object, finish_reason "length"),
"runaway" (good copy, then whitespace until the client hangs up, as a JSON grammar lets a small
model do), "stalled" (a title that never ends, until the client hangs up). A dict in the queue is
returned verbatim as the copy JSON. `rejected_formats` lists response_format types refused with
`reject_status` and `reject_message` (naming the format unless set otherwise).
"""

import json
import re
import threading
import time
from collections import deque
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.loopback import JsonHandler, LoopbackServer

BEHAVIOURS = (
    "good",
    "wrong_price",
    "long_sms",
    "banned_word",
    "invalid_json",
    "timeout",
    "error_500",
    "rate_limited",
    "garbage",
    "truncated",
    "runaway",
    "stalled",
)
_ENDLESS = ("runaway", "stalled")


class FakeLLM:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[str | dict[str, Any]] = deque()
        self.default: str | dict[str, Any] = "good"
        self.delay_seconds = 5.0
        self.rejected_formats: set[str] = set()
        self.reject_status = 400
        self.reject_message: str | None = None
        self.ignore_stream = False
        self.requests: list[dict[str, Any]] = []
        self.generations: list[str] = []
        self._loopback = LoopbackServer(self, _Handler)
        self.base_url = self._loopback.base_url + "/v1"

    def queue(self, *replies: str | dict[str, Any]) -> None:
        for reply in replies:
            if isinstance(reply, str) and reply not in BEHAVIOURS:
                raise ValueError(f"unknown behaviour {reply!r}")
        with self._lock:
            self._queue.extend(replies)

    def prompts(self) -> list[str]:
        with self._lock:
            return [m["content"] for r in self.requests for m in r.get("messages", [])]

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self.requests.clear()
            self.generations.clear()
        self.default = "good"
        self.rejected_formats = set()

    def close(self) -> None:
        self._loopback.close()

    def _next(self, body: dict[str, Any]) -> str | dict[str, Any]:
        with self._lock:
            self.requests.append(body)
            return self._queue.popleft() if self._queue else self.default

    def _ended(self, how: str) -> None:
        with self._lock:
            self.generations.append(how)


class _Handler(JsonHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        fake: FakeLLM = self.server.fake
        if self.path.rstrip("/") != "/v1/chat/completions":
            self.send_json(404, {"error": {"message": "not found"}})
            return
        length = int(self.headers.get("Content-Length", 0))
        try:
            body = json.loads(self.rfile.read(length))
            messages = body["messages"]
            body["model"]
        except (ValueError, KeyError, TypeError):
            self.send_json(400, {"error": {"message": "invalid request"}})
            return
        fmt = (body.get("response_format") or {}).get("type")
        if fmt in fake.rejected_formats:
            fake._next(body)
            message = fake.reject_message or f"response_format {fmt} is not supported"
            self.send_json(fake.reject_status, {"error": {"message": message}})
            return
        reply = fake._next(body)
        if reply == "error_500":
            self.send_json(500, {"error": {"message": "internal server error"}})
            return
        if reply == "rate_limited":
            message = {"error": {"message": "rate limit reached", "type": "rate_limit_error"}}
            self.send_json(429, message, headers={"Retry-After": "20"})
            return
        if reply == "garbage":
            self._send_raw(200, "text/html", b"<html><body>502 Bad Gateway</body></html>")
            return
        if reply == "timeout":
            if fake._loopback.stopping.wait(fake.delay_seconds):
                return
            reply = "good"
        streamed = bool(body.get("stream")) and not fake.ignore_stream
        if streamed:
            self._stream(fake, body["model"], reply, messages)
            return
        content = reply_content(reply, messages)
        finish = "length" if reply == "truncated" else "stop"
        self.send_json(200, _completion(len(fake.requests), body["model"], content, finish))

    def _stream(
        self, fake: FakeLLM, model: str, reply: str | dict[str, Any], messages: list[Any]
    ) -> None:
        """Server-sent events, a few characters each; an endless reply goes on until the client
        hangs up (or the fake closes), as a real server does when nothing stops it."""
        content = reply_content(reply, messages)
        if reply == "stalled":
            content = '{"title": "Your picks'
        pieces = [content[i : i + 8] for i in range(0, len(content), 8)]
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for piece in pieces:
                self._event(model, {"content": piece}, None)
            while reply in _ENDLESS and not fake._loopback.stopping.wait(0.01):
                self._event(model, {"content": "\n " if reply == "runaway" else " and"}, None)
            self._event(model, {}, "length" if reply == "truncated" else "stop")
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            fake._ended("disconnected")
            return
        fake._ended("done")

    def _event(self, model: str, delta: dict[str, str], finish: str | None) -> None:
        chunk = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
        self.wfile.flush()

    def _send_raw(self, status: int, content_type: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _completion(number: int, model: str, content: str, finish: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{number}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish,
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def reply_content(reply: str | dict[str, Any], messages: list[dict[str, str]]) -> str:
    """The assistant text for a behaviour, written for the channel and language in the prompt."""
    if isinstance(reply, dict):
        return json.dumps(reply, ensure_ascii=False)
    if reply == "invalid_json":
        return "Sure! Here is your copy: {title: 'Your picks', body: 'are waiting'"
    if reply == "truncated":
        return '{"title": "Your picks are waiting", "body": "Your picks are still'
    prompt = "\n".join(m["content"] for m in messages[:2])
    copy = good_copy(prompt)
    chinese = "Language: Simplified Chinese" in prompt
    opt_out = _quoted_after(prompt, "must end with the opt-out line") or ""
    if reply == "wrong_price":
        copy["body"] = ("现价¥1.99。" if chinese else "Now only ¥1.99. ") + copy["body"]
    elif reply == "banned_word":
        copy["body"] = (
            "史上最低价，绝对划算！" if chinese else "Guaranteed best ever deal! "
        ) + copy["body"]
    elif reply == "long_sms":
        copy["body"] = (
            "你挑好的宝贝都还在购物车里，尺码、退换和支付方面有任何疑问都可以随时联系我们，"
            "我们会尽快为你解答。七天无理由退货，多种支付方式任你选，祝你购物愉快，期待你的光临。"
            + opt_out
            if chinese
            else "Everything you picked is still waiting in your cart, ready whenever you are, "
            "with help on sizes, returns and payment. " + opt_out
        )
    return json.dumps(copy, ensure_ascii=False)


def good_copy(prompt: str) -> dict[str, Any]:
    """Copy that follows the prompt's channel rules and uses only the placeholders it lists."""
    chinese = "Language: Simplified Chinese" in prompt
    channel = re.search(r"Channel: (\w+)\.", prompt)
    channel_name = channel.group(1) if channel else "inapp"
    listed = re.search(r"Placeholders you may use: (.*)", prompt)
    available = set(re.findall(r"\{\{(\w+)\}\}", listed.group(1) if listed else ""))
    lines = ["你的心仪好物还在等你。" if chinese else "Your picks are still waiting for you."]
    if {"item1_name", "item1_price"} <= available:
        sep = "：" if chinese else ": "
        lines.append(f"{{{{item1_name}}}}{sep}{{{{item1_price}}}}")
    elif "item1_name" in available:
        lines.append("{{item1_name}}")
    if "interests" in available:
        lines.append(
            ("你喜欢的品类：" if chinese else "From the categories you like: ") + "{{interests}}"
        )
    if "offer_value" in available:
        lines.append(("你的权益：" if chinese else "Your benefit: ") + "{{offer_value}}")
    copy: dict[str, Any] = {
        "title": "好物在等你" if chinese else "Your picks are waiting",
        "body": "\n".join(lines),
        "cta": "去看看" if chinese else "Take a look",
        "disclaimers": [],
    }
    if channel_name == "sms":
        opt_out = _quoted_after(prompt, "must end with the opt-out line") or ""
        base = "你的心仪好物还在等你。" if chinese else "Your picks are still waiting."
        return {"title": "", "body": f"{base} {opt_out}", "cta": "", "disclaimers": []}
    if channel_name == "email":
        unsubscribe = _quoted_after(prompt, "on its own last line,") or ""
        copy["body"] += (
            "\n" + ("常见问题：" if chinese else "FAQ: ") + "{{faq_link}}\n" + unsubscribe
        )
    if channel_name == "wechat":
        copy["cta"] = _quoted_after(prompt, "cta is exactly") or ""
        validity = _quoted_after(prompt, "the offer's validity")
        if validity:
            copy["body"] += "\n" + validity
    return copy


def _quoted_after(text: str, marker: str) -> str | None:
    match = re.search(re.escape(marker) + r'\s*"([^"]*)"', text)
    return match.group(1) if match else None


def start_fake_llm() -> FakeLLM:
    """Start a fake chat-completions server on a free loopback port."""
    return FakeLLM()


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    server = start_fake_llm()
    try:
        yield server
    finally:
        server.close()
