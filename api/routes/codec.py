"""The codec server: Temporal's Web UI and CLI send encrypted payloads here to read them.

Temporal's remote codec protocol: `POST /codec/decode` and `POST /codec/encode` with the JSON
form of `Payloads` (`{"payloads": [{"metadata": {...}, "data": "<base64>"}]}`, every bytes
field base64) and the namespace in `X-Namespace`; the answer has the same shape. Decoding shows
what journeys carry, so it needs an API key with the `ops` scope and every call is audited:
- the CLI sends the key itself: `temporal workflow show --codec-endpoint <api>/codec
  --codec-auth "Bearer <key>"`;
- the Web UI (codec endpoint `<api>/codec`, "include cross-origin credentials") cannot send a
  header of ours, so an engineer signs in once at `GET /codec/session`, which keeps the key in
  an HttpOnly cookie for the /codec paths only; the UI's origin must be in CODEC_CORS_ORIGINS.
"""

from html import escape
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import HTMLResponse
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from pydantic import BaseModel, Field
from temporalio.api.common.v1 import Payloads

from api.audit import Auditor
from api.auth import Principal, principal_of, require_scope
from api.deps import SessionsDep, SettingsDep
from api.errors import ApiError, error_responses
from encryption.keyring import KeyringError
from encryption.payloads import EncryptionCodec
from models.api_keys import Scope

router = APIRouter(prefix="/codec", tags=["codec"])
COOKIE = "journeys_codec_key"
SESSION_SECONDS = 8 * 3600
_ALLOWED_HEADERS = "authorization, content-type, x-namespace"


class PayloadBody(BaseModel):
    metadata: dict[str, str] = Field(default_factory=dict, description="values base64")
    data: str = Field("", description="base64")


class PayloadsBody(BaseModel):
    payloads: list[PayloadBody] = Field(default_factory=list, max_length=10_000)


def _cors(request: Request, response: Response, allowed: list[str]) -> None:
    origin = request.headers.get("origin")
    if origin is not None and origin in allowed:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Vary"] = "Origin"


def _operator(request: Request, authorization: str | None) -> Principal:
    """The bearer key, else the key the session cookie holds; it needs the `ops` scope."""
    scheme, _, key = (authorization or "").partition(" ")
    presented = key.strip() if scheme.lower() == "bearer" else request.cookies.get(COOKIE)
    if not presented:
        raise ApiError(401, "missing bearer API key", field="Authorization")
    return require_scope(principal_of(request, presented), Scope.OPS)


async def _convert(
    request: Request,
    response: Response,
    body: PayloadsBody,
    settings: SettingsDep,
    sessions: SessionsDep,
    authorization: str | None,
    namespace: str | None,
    direction: str,
) -> PayloadsBody:
    _cors(request, response, settings.codec_cors_origins)
    principal = _operator(request, authorization)
    codec: EncryptionCodec = request.app.state.codec
    async with Auditor(sessions, principal)(f"codec.{direction}", namespace) as audit:
        audit.detail = {"payloads": len(body.payloads)}
        try:
            payloads = json_format.ParseDict(body.model_dump(), Payloads()).payloads
            converted = await (codec.decode if direction == "decode" else codec.encode)(payloads)
        except (json_format.ParseError, DecodeError) as err:
            raise ApiError(422, f"not Temporal payloads: {err}", field="payloads") from err
        except KeyringError as err:
            raise ApiError(422, str(err), field="payloads") from err
    return PayloadsBody.model_validate(
        json_format.MessageToDict(Payloads(payloads=converted), preserving_proto_field_name=True)
    )


_RESPONSES = error_responses(401, 403, 422, 503)


@router.post("/decode", summary="Decrypt Temporal payloads (codec server)", responses=_RESPONSES)
async def decode_payloads(
    request: Request,
    response: Response,
    body: PayloadsBody,
    settings: SettingsDep,
    sessions: SessionsDep,
    authorization: Annotated[str | None, Header()] = None,
    x_namespace: Annotated[str | None, Header()] = None,
) -> PayloadsBody:
    return await _convert(
        request, response, body, settings, sessions, authorization, x_namespace, "decode"
    )


@router.post("/encode", summary="Encrypt Temporal payloads (codec server)", responses=_RESPONSES)
async def encode_payloads(
    request: Request,
    response: Response,
    body: PayloadsBody,
    settings: SettingsDep,
    sessions: SessionsDep,
    authorization: Annotated[str | None, Header()] = None,
    x_namespace: Annotated[str | None, Header()] = None,
) -> PayloadsBody:
    return await _convert(
        request, response, body, settings, sessions, authorization, x_namespace, "encode"
    )


@router.options("/decode", include_in_schema=False)
@router.options("/encode", include_in_schema=False)
async def codec_preflight(request: Request, settings: SettingsDep) -> Response:
    """CORS preflight of the Web UI (no credentials are sent with it)."""
    response = Response(status_code=204)
    _cors(request, response, settings.codec_cors_origins)
    if "Access-Control-Allow-Origin" in response.headers:
        response.headers["Access-Control-Allow-Methods"] = "POST"
        response.headers["Access-Control-Allow-Headers"] = _ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"
    return response


_SIGN_IN = """<!doctype html><meta charset="utf-8"><title>Codec server sign-in</title>
<h1>Read encrypted payloads in the Temporal Web UI</h1>
<p>{message}</p>
<form method="post" action="session"><label>API key with the <code>ops</code> scope
<input type="password" name="key" autocomplete="off" required></label>
<button type="submit">Sign in for 8 hours</button></form>"""


@router.get(
    "/session",
    response_class=HTMLResponse,
    summary="The codec server's sign-in page for the Web UI",
)
async def codec_session_page() -> HTMLResponse:
    return HTMLResponse(_SIGN_IN.format(message="Then set the UI's codec endpoint to this /codec."))


@router.post(
    "/session",
    response_class=HTMLResponse,
    summary="Keep an ops key in an HttpOnly cookie for the /codec paths (form field `key`)",
    responses=error_responses(401, 403),
)
async def codec_sign_in(request: Request, settings: SettingsDep) -> HTMLResponse:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    key = (form.get("key") or [""])[0].strip()
    principal = require_scope(principal_of(request, key), Scope.OPS)
    page = HTMLResponse(
        _SIGN_IN.format(message=f"Signed in as {escape(principal.name)}; return to the Web UI.")
    )
    page.set_cookie(
        COOKIE,
        key,
        max_age=SESSION_SECONDS,
        path="/codec",
        httponly=True,
        samesite="strict",
        secure=settings.channels.public_base_url.startswith("https://"),
    )
    return page
