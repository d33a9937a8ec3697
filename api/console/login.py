"""The login form: an API key in, a signed session cookie out (api/console/session.py)."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console.forms import checked_form, read_form
from api.console.render import render
from api.console.session import (
    COOKIE,
    PATH,
    Session,
    current_session,
    find_key,
    make_cookie,
    session_secret,
)

router = APIRouter(prefix=PATH, include_in_schema=False)
SessionDep = Annotated[Session, Depends(current_session)]


def quote_next(path: str) -> str:
    return quote(path, safe="/")


def safe_next(target: str | None) -> str:
    """Only a console page of this site: never another host (an open redirect)."""
    if target and target.startswith(f"{PATH}/") and not target.startswith("//"):
        if "\\" not in target and "//" not in target:
            return target
    return f"{PATH}/journeys"


@router.get("", response_class=HTMLResponse)
async def home(_session: SessionDep) -> Response:
    return RedirectResponse(f"{PATH}/journeys", 303)


@router.get("/login", response_class=HTMLResponse)
async def login_form(next: Annotated[str | None, Query(max_length=500)] = None) -> HTMLResponse:
    return render("login.html", None, error=None, next=safe_next(next))


@router.post("/login", response_class=HTMLResponse)
async def log_in(request: Request) -> Response:
    form = await read_form(request)
    key = find_key(request.app.state.api_keys, form.get("api_key", ""))
    if key is None:
        return render(
            "login.html",
            None,
            status=401,
            error="unknown API key",
            next=safe_next(form.get("next")),
        )
    settings = request.app.state.settings
    lifetime = settings.console_session_hours * 3600
    value, _csrf = make_cookie(key, session_secret(settings), lifetime)
    response = RedirectResponse(safe_next(form.get("next")), 303)
    response.set_cookie(
        COOKIE,
        value,
        max_age=int(lifetime),
        path=PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout", response_class=HTMLResponse)
async def log_out(request: Request, session: SessionDep) -> Response:
    await checked_form(request, session)
    response = RedirectResponse(f"{PATH}/login", 303)
    response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="strict")
    return response
