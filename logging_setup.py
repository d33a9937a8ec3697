"""structlog for every process: JSON lines (or console), with the trace id and span id of the
current OpenTelemetry span, and with personal data scrubbed.

Scrubbing recognises emails and phone numbers by their shape, anywhere in a value, and names by
the key they are logged under: a value under a key such as `name`, `first_name` or `full_name`
(see NAME_KEYS; any depth, any case) is replaced whatever it holds. A name written into free
text is not recognisable and must not be logged: log ids, not people.
"""

import logging
import re
import sys
from typing import Any

import structlog
from opentelemetry import trace

from settings import Settings

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\w])\+?\d[\d ()\-]{6,}\d(?![\w])")

NAME_KEYS = frozenset(
    {
        "name",
        "first_name",
        "firstname",
        "middle_name",
        "last_name",
        "lastname",
        "surname",
        "full_name",
        "fullname",
        "given_name",
        "family_name",
        "display_name",
        "nickname",
        "customer_name",
        "recipient_name",
        "contact_name",
    }
)
# Contact details under these keys go even when they are not shaped like one (a typo'd email).
_KEY_PLACEHOLDERS = {
    **dict.fromkeys(NAME_KEYS, "[name]"),
    **dict.fromkeys(("email", "email_address", "to_email"), "[email]"),
    **dict.fromkeys(("phone", "phone_number", "mobile", "msisdn"), "[phone]"),
}


def scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _PHONE.sub("[phone]", _EMAIL.sub("[email]", value))
    if isinstance(value, dict):
        return {key: _scrub_item(key, item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    return value


def _scrub_item(key: Any, value: Any) -> Any:
    placeholder = _KEY_PLACEHOLDERS.get(key.lower()) if isinstance(key, str) else None
    if placeholder is not None and value not in (None, ""):
        return placeholder
    return scrub(value)


def scrub_contact_details(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Never let an email address, phone number or name reach a log line, whatever was logged."""
    return {key: _scrub_item(key, value) for key, value in event_dict.items()}


def add_trace_context(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """The ids of the current span, to find a log line's trace (and a trace's log lines)."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict["trace_id"] = format(context.trace_id, "032x")
        event_dict["span_id"] = format(context.span_id, "016x")
    return event_dict


def configure_logging(settings: Settings) -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        scrub_contact_details,
        add_trace_context,  # after scrubbing: an all-digit span id would look like a phone number
    ]
    on_terminal = sys.stderr.isatty()
    console = settings.log_format == "console" or (settings.log_format == "auto" and on_terminal)
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=on_terminal)
        if console
        else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        # A line below the level is dropped before scrubbing and stamping, not after.
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(foreign_pre_chain=shared, processor=renderer)
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
