"""A customer's webhook receiver: a real HTTP/1.1 server on loopback that checks each delivery's
Standard Webhooks signature with the reference library, keeps what it took, and can be taken
down and brought back on the same port."""

import asyncio
import json
import socket
from typing import Any

from standardwebhooks import Webhook


class Receiver:
    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self.secret = ""
        self.status = 200  # what it answers with while up
        self.received: list[dict[str, Any]] = []  # each delivery verified: id, type, data
        self.rejected = 0  # deliveries whose signature did not verify
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._connections):  # down is down: kept-alive connections too
            writer.close()
        await self._server.wait_closed()
        self._server = None

    def ids(self) -> list[str]:
        return [delivery["id"] for delivery in self.received]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.add(writer)
        try:
            while True:
                request_line = await reader.readline()
                if not request_line:
                    break
                headers: dict[str, str] = {}
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode().partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                status = self._take(body, headers)
                writer.write(f"HTTP/1.1 {status} X\r\ncontent-length: 0\r\n\r\n".encode())
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._connections.discard(writer)
            writer.close()

    def _take(self, body: bytes, headers: dict[str, str]) -> int:
        if self.status != 200:
            return self.status
        try:
            verified = Webhook(self.secret).verify(body, headers)
        except Exception:
            self.rejected += 1
            return 401
        assert verified == json.loads(body)
        self.received.append(
            {"id": headers["webhook-id"], "type": verified["type"], "data": verified["data"]}
        )
        return 200
