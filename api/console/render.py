"""The console's pages: Jinja2 templates with autoescaping on for every template, so a value
from the records (a customer's attribute, an event's property, a message's words) is shown as
text, never run as markup; templates come from this package only, never from data."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from api.console.session import CSRF_FIELD, CSRF_HEADER, Session

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
# The console's own script and style, nothing inline nor from elsewhere; htmx is told not to
# add inline styles or evaluate attributes (its config meta in base.html).
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; frame-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

NAV = (
    ("journeys", "Journeys", "/console/journeys"),
    ("customers", "Customers", "/console/customers"),
    ("preview", "Preview", "/console/preview"),
    ("failures", "Failures", "/console/failures"),
    ("alerts", "Alerts & switches", "/console/alerts"),
    ("results", "Results", "/console/results"),
)


def _no_extra_nav() -> list[tuple[str, str, str]]:
    return []


# The slot for pages other packages add (the alerts and kill switches of issue #24's other
# half): they set this to a function returning (id, label, path) entries.
extra_nav: Callable[[], list[tuple[str, str, str]]] = _no_extra_nav


def render(
    template: str,
    session: Session | None,
    active: str = "",
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    html = _templates.get_template(template).render(
        nav=[*NAV, *extra_nav()],
        active=active,
        session=session,
        csrf_field=CSRF_FIELD,
        csrf_header=CSRF_HEADER,
        status=status,
        **context,
    )
    return HTMLResponse(html, status_code=status, headers=HEADERS)
