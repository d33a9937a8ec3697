"""The payload codec (AES-GCM, key id in the metadata, rotation) and the codec server the
Temporal Web UI and CLI decode through, checked with Temporal's own CLI."""

import asyncio
import base64
import json
import os
import secrets
import subprocess
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload
from temporalio.testing import WorkflowEnvironment

from cli.dev_server import temporal_binary
from encryption import Keyring, KeyringError
from encryption.payloads import ENCODING, KEY_ID, EncryptionCodec
from models.api_keys import ApiKey
from storage.audit import audit_entries
from tests.conftest import API_KEY, Stack, make_settings, unique
from tests.journey_helpers import cart, post_event, put_customer
from tests.processes import free_port, start, stop, wait_healthy

PLAIN = Payload(metadata={"encoding": b"json/plain"}, data=b'{"first_name": "Ada"}')


def keyring(active: str, *ids: str, keys: dict[str, bytes]) -> Keyring:
    return Keyring({i: keys[i] for i in ids}, active, b"l" * 32)


async def test_rotation_keeps_old_payloads_readable_until_their_key_is_retired() -> None:
    keys = {"2026-11": secrets.token_bytes(32), "2026-12": secrets.token_bytes(32)}
    old = EncryptionCodec(keyring("2026-11", "2026-11", keys=keys))
    [sealed_old] = await old.encode([PLAIN])
    assert sealed_old.metadata["encoding"] == ENCODING
    assert sealed_old.metadata[KEY_ID] == b"2026-11" and b"Ada" not in sealed_old.data

    rotated = EncryptionCodec(keyring("2026-12", "2026-11", "2026-12", keys=keys))
    [sealed_new] = await rotated.encode([PLAIN])
    assert sealed_new.metadata[KEY_ID] == b"2026-12"
    assert await rotated.decode([sealed_old, sealed_new]) == [PLAIN, PLAIN]
    # Recorded before the codec: passes through both ways.
    assert await rotated.decode([PLAIN]) == [PLAIN]

    retired = EncryptionCodec(keyring("2026-12", "2026-12", keys=keys))
    with pytest.raises(KeyringError, match="no key '2026-11'"):
        await retired.decode([sealed_old])
    tampered = Payload(metadata=sealed_new.metadata, data=sealed_new.data[:-1] + b"x")
    with pytest.raises(KeyringError, match="does not open"):
        await rotated.decode([tampered])
    # Writing in clear (development without keys) still reads what was encrypted.
    assert await EncryptionCodec(keyring("2026-12", "2026-12", keys=keys), encrypt=False).decode(
        [sealed_new]
    ) == [PLAIN]


def as_json(payload: Payload) -> dict[str, object]:
    return {
        "metadata": {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
        "data": base64.b64encode(payload.data).decode(),
    }


async def test_the_codec_server_needs_an_ops_key_and_audits_every_call(
    temporal_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path
) -> None:
    reader = ApiKey(
        name="analyst", key=SecretStr("analyst-key-0123456789"), scopes={"customers:read"}
    )
    settings = make_settings(sqlite_url, tmp_path, api_keys=[API_KEY, reader])
    stack = Stack(settings, temporal_env.client)
    body = {"payloads": [as_json(PLAIN)]}
    try:
        encoded = await stack.http.post(
            "/codec/encode", json=body, headers={"X-Namespace": "default"}
        )
        assert encoded.status_code == 200, encoded.text
        [sealed] = encoded.json()["payloads"]
        assert base64.b64decode(sealed["metadata"]["encoding"]) == ENCODING
        decoded = await stack.http.post("/codec/decode", json=encoded.json())
        assert decoded.json() == body

        bare = httpx.AsyncClient(transport=stack.http._transport, base_url="http://api")
        assert (await bare.post("/codec/decode", json=body)).status_code == 401
        analyst = {"Authorization": "Bearer analyst-key-0123456789"}
        assert (await bare.post("/codec/decode", json=body, headers=analyst)).status_code == 403
        junk = {"payloads": [{"metadata": {"encoding": "%%%"}, "data": "x"}]}
        assert (await stack.http.post("/codec/decode", json=junk)).status_code == 422

        # The Web UI: a CORS preflight from its origin, then a sign-in that keeps the key in an
        # HttpOnly cookie for /codec, which its cross-origin calls carry.
        ui = "http://localhost:8233"
        preflight = await bare.options(
            "/codec/decode",
            headers={"Origin": ui, "Access-Control-Request-Method": "POST"},
        )
        assert preflight.headers["access-control-allow-origin"] == ui
        assert preflight.headers["access-control-allow-credentials"] == "true"
        assert "x-namespace" in preflight.headers["access-control-allow-headers"]
        other = await bare.options("/codec/decode", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        signed_in = await bare.post("/codec/session", data={"key": API_KEY})
        assert signed_in.status_code == 200
        cookie = signed_in.headers["set-cookie"]
        assert "HttpOnly" in cookie and "Path=/codec" in cookie and "SameSite=strict" in cookie
        from_ui = await bare.post("/codec/decode", json=encoded.json(), headers={"Origin": ui})
        assert from_ui.status_code == 200 and from_ui.json() == body
        assert from_ui.headers["access-control-allow-origin"] == ui
        assert (await bare.post("/codec/session", data={"key": "wrong"})).status_code == 401
        await bare.aclose()

        async with stack.sessions() as session:
            entries = await audit_entries(session)
        codec_calls = [
            (e.actor, e.action, e.outcome) for e in entries if e.action.startswith("codec")
        ]
        assert ("key:key-1", "codec.encode", "ok") in codec_calls
        assert ("key:key-1", "codec.decode", "ok") in codec_calls
        assert any(outcome.startswith("failed: 422") for *_, outcome in codec_calls)
    finally:
        await stack.close()


async def test_temporal_cli_reads_an_encrypted_history_through_the_codec_server(
    stack: Stack, temporal_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path
) -> None:
    customer_id = unique("c")
    await put_customer(stack, customer_id, email=f"{customer_id}@example.com")
    with temporal_env.with_time_skipping_disabled():
        accepted = await post_event(stack, customer_id, "cart_updated", cart())
    secret = accepted["event_id"]  # inside the journey's input, in no field of its own
    workflow_id = f"cart_abandonment:{customer_id}"
    address = temporal_env.client.service_client.config.target_host
    port = free_port()
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": address,
        "DATABASE_URL": sqlite_url,
        "API_KEYS": json.dumps([API_KEY]),
        "DATA_DIR": str(tmp_path),
        "LOG_LEVEL": "warning",
    }
    api = start("api", "--port", str(port), env=env, log=tmp_path / "api.log")
    try:
        await asyncio.to_thread(wait_healthy, f"http://127.0.0.1:{port}", api)
        show = [temporal_binary(), "workflow", "show", "--address", address, "-w", workflow_id]
        show += ["--output", "json"]
        raw = subprocess.run(show, capture_output=True, text=True, timeout=60)
        assert raw.returncode == 0, raw.stderr
        assert "binary/encrypted" in _decoded_data(raw.stdout)
        assert secret not in _decoded_data(raw.stdout)
        codec = ["--codec-endpoint", f"http://127.0.0.1:{port}/codec"]
        refused = subprocess.run([*show, *codec], capture_output=True, text=True, timeout=60)
        assert secret not in _decoded_data(refused.stdout)  # no key: nothing decoded
        auth = ["--codec-auth", f"Bearer {API_KEY}"]
        read = subprocess.run([*show, *codec, *auth], capture_output=True, text=True, timeout=60)
        assert read.returncode == 0, read.stderr
        assert "binary/encrypted" not in _decoded_data(read.stdout)
        assert secret in _decoded_data(read.stdout)  # the JourneyInput, readable again
    finally:
        stop(api)
        await stack.client.get_workflow_handle(workflow_id).terminate("test done")


def _decoded_data(output: str) -> str:
    """The CLI shows payload data base64-encoded (or as JSON when it can): both, as text."""
    decoded = []
    for chunk in output.replace('"', " ").split():
        try:
            decoded.append(base64.b64decode(chunk, validate=True).decode("utf-8", "ignore"))
        except ValueError:
            pass
    return output + " ".join(decoded)
