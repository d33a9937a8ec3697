"""A lean HTTP/1.1 keep-alive connection for generating load.

On a 2-core machine the load generator competes with what it measures: httpx spends about 1.3 ms
of CPU per request, a fifth of a core at ingest rates, which the API and the Temporal server
would otherwise have. The callers of a deployed API run elsewhere, so the benches post through
this instead: one connection per caller, requests written and responses read by hand.
"""

import asyncio
import json
from typing import Any


class KeepAliveConnection:
    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self._host, self._port = host, port
        self._head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post_json(self, path: str, body: Any) -> tuple[int, bytes]:
        """POST `body` as JSON; the status code and the response body."""
        payload = json.dumps(body).encode()
        request = (
            f"POST {path} HTTP/1.1\r\nHost: {self._host}\r\n{self._head}"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        ).encode() + payload
        if self._streams is not None and self._streams[0].at_eof():
            await self.close()  # the server closed it while idle (uvicorn keeps one for 5 s)
        if self._streams is None:
            self._streams = await asyncio.open_connection(self._host, self._port)
        reader, writer = self._streams
        writer.write(request)
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        fields = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:])}
        answer = await reader.readexactly(int(fields.get("content-length", "0")))
        if fields.get("connection", "").lower() == "close":
            await self.close()
        return status, answer

    async def close(self) -> None:
        if self._streams is not None:
            _reader, writer = self._streams
            self._streams = None
            writer.close()
            await writer.wait_closed()
