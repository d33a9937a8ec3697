"""`journeyctl config`: the configuration reference, generated from the settings models.

`docs/configuration.md` is this module's output: every environment variable the processes read,
with its type, default and meaning, walked from `settings.Settings` (nested models become
`SECTION__FIELD` variables, as pydantic-settings reads them). `tests/test_config_reference.py`
fails when the file is stale or a variable has no meaning, so the reference cannot drift.
"""

import json
import types
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time, timedelta
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import typer
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from settings import REPO_ROOT, Settings

REFERENCE = REPO_ROOT / "docs" / "configuration.md"

app = typer.Typer(help="Configuration: the reference of every environment variable.")


@dataclass(frozen=True)
class Variable:
    name: str
    type: str
    default: str
    meaning: str


@dataclass(frozen=True)
class Section:
    """The variables of one settings model; `note` says when the section applies."""

    title: str
    note: str
    variables: list[Variable]


def _models_in(annotation: Any) -> list[tuple[str, type[BaseModel]]]:
    """The settings models an annotation holds (`X`, `X | None`, a tagged union of providers),
    each with its tag (the `provider` value that selects it) or ''."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [("", annotation)]
    origin = get_origin(annotation)
    if origin is Annotated:
        inner, *extras = get_args(annotation)
        tags = [getattr(extra, "tag", None) for extra in extras]
        found = _models_in(inner)
        tag = next((t for t in tags if isinstance(t, str)), "")
        return [(tag or t, model) for t, model in found]
    if origin in (Union, types.UnionType):
        return [found for arg in get_args(annotation) for found in _models_in(arg)]
    return []


def _type_name(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin is Literal:
        return "one of " + ", ".join(f"`{value}`" for value in get_args(annotation))
    if origin is Annotated:
        return _type_name(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        name = " or ".join(_type_name(arg) for arg in args)
        return f"{name} (optional)" if len(args) < len(get_args(annotation)) else name
    if origin in (list, tuple, frozenset, set, dict):
        return "JSON " + ("object" if origin is dict else "list")
    if annotation is SecretStr:
        return "secret"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "one of " + ", ".join(f"`{member.value}`" for member in annotation)
    names = {bool: "boolean", int: "integer", float: "number", str: "string", Path: "path"}
    names |= {time: "time (HH:MM)", timedelta: "duration (ISO 8601 or seconds)"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, SecretStr):
        return "***" if value.get_secret_value() else ""
    if isinstance(value, dict):
        return {str(_plain(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(item) for item in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, Path):
        return str(value).replace(str(REPO_ROOT), "<repo>")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, timedelta):
        return f"{value.total_seconds():g} s"
    return value


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]  # the settings' factories take no arguments
    elif field.default is PydanticUndefined:
        return "required"
    else:
        value = field.default
    value = _plain(value)
    if value is None or value in ("", [], {}):
        return "—"
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if isinstance(value, (list, dict)):
        text = json.dumps(value, ensure_ascii=False)
    return f"`{text}`" if len(text) <= 60 else f"`{text[:57]}...`"


def _sections(model: type[BaseModel], prefix: str, title: str, note: str) -> Iterator[Section]:
    variables: list[Variable] = []
    nested: list[Section] = []
    for name, field in model.model_fields.items():
        env = f"{prefix}{name}".upper()
        models = _models_in(field.annotation)
        if models:
            optional = len(models) > 1 or type(None) in get_args(field.annotation)
            for tag, sub in models:
                sub_note = field.description or ""
                if tag:
                    sub_note = f"with `{env}__PROVIDER={tag}`. {sub_note}".strip()
                elif optional:
                    sub_note = f"set to enable. {sub_note}".strip()
                sub_title = f"`{env}__*`" + (f" ({tag})" if tag else "")
                nested.extend(_sections(sub, f"{prefix}{name}__", sub_title, sub_note))
            continue
        meaning = " ".join((field.description or "").split())
        variables.append(Variable(env, _type_name(field.annotation), _default(field), meaning))
    if variables:
        yield Section(title, note, variables)
    yield from nested


def reference_sections() -> list[Section]:
    return list(_sections(Settings, "", "General", ""))


def render_reference() -> str:
    lines = [
        "# Configuration reference",
        "",
        "Every environment variable the API, the worker and `journeyctl` read, generated from the",
        "settings models (`settings.py` and each package's `settings.py`) by",
        "`journeyctl config reference`; `tests/test_config_reference.py` fails when this file is",
        "stale. Nested settings are `SECTION__FIELD`; lists and maps are JSON. A `.env` file in",
        "the working directory is not read: set the variables in the environment (or the",
        "deployment's env file, `deploy/production.env.example`).",
        "",
    ]
    for section in reference_sections():
        lines += [f"## {section.title}", ""]
        if section.note:
            lines += [section.note[0].upper() + section.note[1:], ""]
        lines += ["| variable | type | default | meaning |", "| --- | --- | --- | --- |"]
        for v in section.variables:
            cells = [f"`{v.name}`", v.type, v.default, v.meaning]
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
        lines.append("")
    return "\n".join(lines)


@app.command("reference")
def reference_command(
    check: Annotated[
        bool, typer.Option("--check", help="exit 1 if the file is stale, write nothing")
    ] = False,
    output: Annotated[Path, typer.Option(help="where to write the reference")] = REFERENCE,
) -> None:
    """Write docs/configuration.md from the settings models (or check that it is current)."""
    text = render_reference()
    if check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current != text:
            typer.echo(f"{output} is stale: run `journeyctl config reference`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{output} is current")
        return
    output.write_text(text, encoding="utf-8")
    count = sum(len(section.variables) for section in reference_sections())
    typer.echo(f"wrote {output}: {count} variables")
