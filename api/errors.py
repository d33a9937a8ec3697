"""Every error a client can cause comes back as a 4xx naming the field and the reason."""

from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

log = structlog.get_logger()
RETRY_AFTER = {"Retry-After": "5"}


class ErrorDetail(BaseModel):
    reason: str
    field: str | None = None
    type: str | None = None


class ErrorBody(BaseModel):
    """Every 4xx and 503 answer: what is wrong, and with which field when one is to blame."""

    detail: list[ErrorDetail]


_MEANING = {
    400: "the input is malformed (field and reason given)",
    401: "the bearer API key (or a webhook signature) is missing or wrong",
    403: "the signed link is refused, or the provider may not act on that message",
    404: "no such resource",
    409: "the resource's state does not allow it",
    422: "a field is missing or invalid (field and reason given)",
    503: "the database or Temporal is unavailable; retry later (Retry-After)",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the error answers a route can give, all in the ErrorBody shape."""
    return {code: {"model": ErrorBody, "description": _MEANING[code]} for code in codes}


class ApiError(HTTPException):
    """An error with a machine-readable field and reason."""

    def __init__(
        self,
        status_code: int,
        reason: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status_code=status_code, detail=reason, headers=headers)
        self.field = field


def field_errors(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        if loc and loc[0] in ("body", "path", "query", "header"):
            loc = loc[1:] or loc[:1]
        reason = error.get("msg", "invalid")
        if error.get("type") == "json_invalid":
            reason = f"body is not valid JSON: {error.get('ctx', {}).get('error', reason)}"
            loc = ["body"]
        out.append({"field": ".".join(loc) or "body", "reason": reason, "type": error.get("type")})
    return out


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": field_errors(exc.errors())})

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        detail: dict[str, Any] = {"reason": exc.detail}
        if isinstance(exc, ApiError) and exc.field is not None:
            detail["field"] = exc.field
        return JSONResponse(
            status_code=exc.status_code, content={"detail": [detail]}, headers=exc.headers
        )

    async def _database_down(request: Request, exc: Exception) -> JSONResponse:
        # A route that reads or writes while the database is unreachable: nothing was done,
        # and the same request later will work; a 500 would say the request itself was wrong.
        log.warning("database unavailable", path=request.url.path, error=type(exc).__name__)
        return JSONResponse(
            status_code=503,
            content={"detail": [{"reason": "database unavailable; retry later"}]},
            headers=RETRY_AFTER,
        )

    for unreachable in (OperationalError, PoolTimeout, ConnectionError, TimeoutError):
        app.add_exception_handler(unreachable, _database_down)

    @app.exception_handler(DBAPIError)
    async def _dbapi(request: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated:
            return await _database_down(request, exc)
        raise exc
