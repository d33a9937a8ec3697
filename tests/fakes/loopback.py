"""What the loopback fakes share: a threaded HTTP server on a free port, and JSON answers."""

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class LoopbackServer:
    """Serves `handler` on 127.0.0.1; the handler reaches its fake as `self.server.fake`."""

    def __init__(self, fake: object, handler: type[BaseHTTPRequestHandler]) -> None:
        # Set on close, so a handler sleeping to simulate a slow provider wakes up at once.
        self.stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._server.fake = fake
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host}:{port}"

    def close(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class JsonHandler(BaseHTTPRequestHandler):
    def send_json(
        self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (the timeout behaviours)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep output clean
        pass


class QueuedBehaviours:
    """The answers a fake gives its next requests, in order; "ok" once none is left."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[str] = deque()

    def queue(self, *behaviours: str) -> None:
        with self._lock:
            self._queue.extend(behaviours)

    def _next(self) -> str:
        with self._lock:
            return self._queue.popleft() if self._queue else "ok"
