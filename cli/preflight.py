"""Before a process of a production deployment starts: everything it needs is configured.

In production (ENVIRONMENT=production) nothing is made up: no generated API key, no secret
written under data_dir, no SQLite file, no development encryption keys. `journeyctl api`,
`worker` and `migrate` check here first and refuse to start with one line per problem, rather
than starting with a secret of their own that the other processes do not share.
"""

import asyncio
import re
import sys
from typing import Literal

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from encryption import KeyringError
from models.api_keys import ApiKey
from settings import Settings
from storage.database import create_engine

Role = Literal["api", "worker", "migrate"]
DRIVERS = ("postgresql+asyncpg", "sqlite+aiosqlite")
MIN_KEY_CHARS = 16


def production_problems(settings: Settings, role: Role, check_database: bool = True) -> list[str]:
    """What keeps `role` from starting in production, one sentence each; [] when nothing does
    (and always outside production). The database is tried last (`check_database`: connect to
    it too), and only if its URL parses."""
    if not settings.production:
        return []
    problems = []
    if not settings.encryption.keys:
        problems.append("ENCRYPTION__KEYS is not set (a JSON object: key id -> 32 bytes, base64)")
    else:
        try:
            settings.keyring()
        except KeyringError as err:
            problems.append(f"ENCRYPTION__*: {err}")
    secrets = {
        "GUARDRAILS__UNSUBSCRIBE_SECRET": settings.guardrails.unsubscribe_secret,
        "CHANNELS__TRACKING_SECRET": settings.channels.tracking_secret,
    }
    if role == "api":
        secrets["REPORTS__LINK_SECRET"] = settings.reports.link_secret
        secrets["CONSOLE_SESSION_SECRET"] = settings.console_session_secret
        problems += _api_key_problems(settings)
    if role in ("api", "worker"):
        problems += [f"{name} is not set" for name, value in secrets.items() if value is None]
        if "public_base_url" not in settings.channels.model_fields_set:
            problems.append(
                "CHANNELS__PUBLIC_BASE_URL is not set (the API's address as customers reach it: "
                "links in messages lead there)"
            )
    database = _database_problem(settings, check_database)
    if database is not None:
        problems.append(database)
    return problems


def _api_key_problems(settings: Settings) -> list[str]:
    if not settings.api_keys:
        return ['API_KEYS is not set (a JSON list of {"name", "key", "scopes"})']
    problems = []
    for position, key in enumerate(settings.api_keys, 1):
        if not isinstance(key, ApiKey):
            problems.append(
                f"API_KEYS: key {position} is a plain string; production keys name their scopes: "
                '{"name": "...", "key": "...", "scopes": ["events:write"]}'
            )
        elif len(key.key.get_secret_value()) < MIN_KEY_CHARS:
            problems.append(
                f"API_KEYS: key {key.name!r} is shorter than {MIN_KEY_CHARS} characters"
            )
    names = [key.name for key in settings.api_keys if isinstance(key, ApiKey)]
    if len(set(names)) != len(names):
        problems.append("API_KEYS: two keys have the same name (the audit log tells them apart)")
    return problems


def _database_problem(settings: Settings, connect: bool) -> str | None:
    if not settings.database_url:
        return "DATABASE_URL is not set (production does not fall back to a SQLite file)"
    try:
        url = make_url(settings.database_url)
    except ArgumentError:
        return "DATABASE_URL is not a database URL (postgresql+asyncpg://user:password@host/db)"
    shown = url.render_as_string(hide_password=True)
    if url.drivername not in DRIVERS:
        return f"DATABASE_URL: driver {url.drivername!r} is not one of {', '.join(DRIVERS)}"
    if not connect:
        return None
    try:
        asyncio.run(asyncio.wait_for(_select_one(settings.database_url), timeout=10))
    except Exception as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        return f"DATABASE_URL: cannot connect to {shown}: {reason}"
    return None


async def _select_one(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


def load_settings(role: Role) -> Settings:
    """The settings of a starting process, or exit 2 with one line per problem on stderr."""
    try:
        settings = Settings()
    except ValidationError as err:
        for error in err.errors():
            field = "__".join(str(part) for part in error["loc"]).upper()
            print(f"journeyctl {role}: cannot start: {field}: {error['msg']}", file=sys.stderr)
        raise typer.Exit(2) from None
    except SettingsError as err:  # a value that is not the JSON its setting needs
        named = re.search(r'field "(\w+)"', str(err))
        name = named.group(1).upper() if named else "a setting"
        print(f"journeyctl {role}: cannot start: {name}: not valid JSON", file=sys.stderr)
        raise typer.Exit(2) from None
    problems = production_problems(settings, role)
    for problem in problems:
        print(f"journeyctl {role}: cannot start in production: {problem}", file=sys.stderr)
    if problems:
        raise typer.Exit(2)
    return settings
