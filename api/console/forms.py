"""Reading the console's POSTed forms (application/x-www-form-urlencoded), with the CSRF check
every POST makes before it acts."""

from urllib.parse import parse_qs

from fastapi import Request

from api.console.session import CSRF_FIELD, CSRF_HEADER, ConsoleError, Session, check_csrf

MAX_FORM_BYTES = 64 * 1024


async def read_form(request: Request) -> dict[str, str]:
    """The form's fields, each its first value; a form this console never sends is a 4xx."""
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    if kind != "application/x-www-form-urlencoded":
        raise ConsoleError(415, "send the form as application/x-www-form-urlencoded", "body")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise ConsoleError(413, f"a form may be at most {MAX_FORM_BYTES} bytes", "body")
    try:
        parsed = parse_qs(body.decode(), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as err:
        raise ConsoleError(400, "the form is not UTF-8", "body") from err
    return {name: values[0] for name, values in parsed.items()}


async def checked_form(request: Request, session: Session) -> dict[str, str]:
    form = await read_form(request)
    check_csrf(session, form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER))
    return form
