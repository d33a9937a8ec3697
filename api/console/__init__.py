"""The operator console at /console (docs/console.md): server-rendered pages for the people who
run the journeys day to day, behind the API's keys and scopes."""

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.console import customers, failures, journeys, login, operations, preview, results
from api.console.render import render
from api.console.session import PATH, ConsoleError, LoginRequired


def mount_console(app: FastAPI) -> None:
    for module in (login, journeys, customers, preview, failures, operations, results):
        app.include_router(module.router, include_in_schema=False)
    app.mount(
        f"{PATH}/static",
        StaticFiles(directory=Path(__file__).parent / "static"),
        name="console-static",
    )

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _exc: LoginRequired) -> Response:
        if request.method == "GET" and "HX-Request" not in request.headers:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"{PATH}/login?next={login.quote_next(target)}", 303)
        return render("error.html", None, status=401, reason="sign in first", field="session")

    @app.exception_handler(ConsoleError)
    async def _error(_request: Request, exc: ConsoleError) -> HTMLResponse:
        return render("error.html", None, status=exc.status, reason=exc.reason, field=exc.field)
