"""The edge's limits on every request body: its size (413) and its JSON nesting (422).

The body is read here, whole, before any route sees it: a limit enforced while a route reads
(as FastAPI's own does) surfaces inside FastAPI's body parsing, which answers chunked bodies
(no Content-Length) with its own 400, and answers outside our error shape. A JSON parser
recurses once per level, so a body nested thousands deep is refused before anything parses
it, by counting brackets outside strings.
"""

import re

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models.limits import MAX_BODY_DEPTH

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")
_FORMS = (b"application/x-www-form-urlencoded", b"multipart/form-data")


def nested_deeper_than(body: bytes, limit: int) -> bool:
    """Whether the JSON text opens more than `limit` arrays or objects inside each other."""
    depth = 0
    for bracket in _BRACKET.finditer(_STRING.sub(b"", body)):
        if bracket.group() in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


class RequestLimits:
    """413 for a body over `max_bytes` (declared or streamed), 422 for JSON nested too deep."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _refuse(send, 413, f"body larger than {self.max_bytes} bytes")
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _refuse(send, 413, f"body larger than {self.max_bytes} bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        form = headers.get(b"content-type", b"").lower().startswith(_FORMS)
        if body and not form and nested_deeper_than(body, MAX_BODY_DEPTH):
            await _refuse(send, 422, f"JSON nested deeper than {MAX_BODY_DEPTH} levels")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:  # after the body, only the disconnect is left to wait for
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _refuse(send: Send, status: int, reason: str) -> None:
    response = JSONResponse(
        status_code=status, content={"detail": [{"field": "body", "reason": reason}]}
    )
    await response({"type": "http"}, _disconnected, send)


async def _disconnected() -> Message:
    return {"type": "http.disconnect"}
