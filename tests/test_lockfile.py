"""The lockfiles stay in step with pyproject.toml: every dependency it names is pinned, at a
version its bounds allow, with hashes; the runtime lock holds the development lock's versions.
After editing pyproject.toml, `scripts/lock.sh` (docs/production.md)."""

import re
import tomllib

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from settings import REPO_ROOT

_PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^ ;\\]+)(?: ; (.+?))?(?: \\)?$")


def locked(path: str) -> dict[str, str]:
    """name -> the version pinned for this interpreter (universal locks fork by Python)."""
    pins: dict[str, str] = {}
    lines = (REPO_ROOT / path).read_text().splitlines()
    for number, line in enumerate(lines):
        match = _PIN.match(line)
        if match is None:
            continue
        name, version, marker = match.groups()
        assert lines[number + 1].strip().startswith("--hash=sha256:"), f"{name}: no hash"
        if marker is None or Requirement(f"x; {marker}").marker.evaluate():
            pins[canonicalize_name(name)] = version
    return pins


# The extras each lock holds besides the runtime (scripts/lock.sh).
DEVELOPMENT_EXTRAS = ("dev", "ml")
REAL_MODEL_EXTRAS = ("llm-test",)


def declared(extras: tuple[str, ...]) -> tuple[list[Requirement], list[Requirement]]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    runtime = [Requirement(text) for text in project["dependencies"]]
    optional = project.get("optional-dependencies", {})
    assert set(optional) == {*DEVELOPMENT_EXTRAS, *REAL_MODEL_EXTRAS}, "which lock takes it?"
    return runtime, [Requirement(text) for extra in extras for text in optional[extra]]


def test_every_declared_dependency_is_locked_within_its_bounds() -> None:
    runtime, extras = declared(DEVELOPMENT_EXTRAS)
    _, real_model = declared(REAL_MODEL_EXTRAS)
    development, production = locked("requirements-dev.lock"), locked("requirements.lock")
    llm = locked("requirements-llm.lock")
    environment = default_environment()
    for requirement, lock in (
        [(r, development) for r in runtime + extras]
        + [(r, production) for r in runtime]
        + [(r, llm) for r in runtime + extras + real_model]
    ):
        if requirement.marker is not None and not requirement.marker.evaluate(environment):
            continue
        name = canonicalize_name(requirement.name)
        assert name in lock, f"{name} is not locked: run scripts/lock.sh"
        assert requirement.specifier.contains(lock[name], prereleases=True), (
            f"{name}=={lock[name]} is outside {requirement.specifier}: run scripts/lock.sh"
        )


def test_the_image_gets_the_versions_the_tests_ran_with() -> None:
    development, production = locked("requirements-dev.lock"), locked("requirements.lock")
    assert production and all(development[name] == v for name, v in production.items())
