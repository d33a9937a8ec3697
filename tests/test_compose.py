"""docker-compose.temporal.yml is checked here, as no Docker engine runs on this machine: it parses,
every service can be built or pulled, the graph of depends_on holds, and what our containers are
told (environment, ports, commands) is what settings.py and the CLI understand."""

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import BaseModel
from typer.testing import CliRunner

from cli.main import app
from cli.preflight import production_problems
from settings import REPO_ROOT, Settings

COMPOSE = REPO_ROOT / "docker-compose.temporal.yml"
OURS = ("temporal-setup", "migrate", "worker", "api")
ONE_SHOT = ("temporal-admin-tools", "temporal-create-namespace", "temporal-setup", "migrate")
_VARIABLE = re.compile(r"\$\{(\w+)(?::?([-?])([^}]*))?\}")
# What an operator must provide (`${VAR:?...}`); everything else has a default in the file.
REQUIRED = {
    "API_KEYS": '[{"name": "shop", "key": "a-production-key-0123", "scopes": ["events:write"]}]',
    "POSTGRES_PASSWORD": "journeys-password",
    "TEMPORAL_POSTGRES_PASSWORD": "temporal-password",
    "ENCRYPTION_KEYS": '{"2026-12": "' + "A" * 43 + '="}',
    "ENCRYPTION_LOOKUP_KEY": "B" * 43 + "=",
    "UNSUBSCRIBE_SECRET": "an-unsubscribe-secret",
    "TRACKING_SECRET": "a-tracking-secret",
    "REPORT_LINK_SECRET": "a-report-secret",
    "CONSOLE_SESSION_SECRET": "a-console-secret",
    "PUBLIC_BASE_URL": "https://journeys.shop.example",
}


def substitute(value: str) -> str:
    """Compose's own interpolation, with only the defaults and the required values above."""

    def one(match: re.Match[str]) -> str:
        name, kind, default = match.groups()
        if kind == "?":
            return REQUIRED[name]
        return default or ""

    return _VARIABLE.sub(one, value)


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def environment(service: dict[str, Any]) -> dict[str, str]:
    return {key: substitute(str(value)) for key, value in service["environment"].items()}


def port_of(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


def healthcheck_text(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else test


def test_every_service_can_be_built_or_pulled(services: dict[str, dict[str, Any]]) -> None:
    assert {"temporal", "temporal-postgresql", "temporal-ui", "postgres", *OURS} <= set(services)
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        if "build" in service:
            assert (
                REPO_ROOT / service["build"]["context"] / service["build"]["dockerfile"]
            ).is_file()
        else:
            assert re.fullmatch(r"[\w./-]+:[\w.-]+", service["image"]), f"{name}: pin a version"
            assert not service["image"].endswith(":latest"), name


def test_dependencies_exist_and_their_conditions_can_be_met(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in services.items():
        for dependency, spec in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            condition = spec["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in services[dependency], dependency
            elif condition == "service_completed_successfully":
                assert dependency in ONE_SHOT, f"{dependency} never completes"
            else:
                assert condition == "service_started"
    for name, service in services.items():
        if name not in ONE_SHOT:
            assert "healthcheck" in service, f"{name} has no health check"


def _known_setting(key: str) -> bool:
    model: type[BaseModel] = Settings
    parts = key.lower().split("__")
    for depth, part in enumerate(parts):
        field = model.model_fields.get(part)
        if field is None:
            return False
        if depth < len(parts) - 1:
            nested = field.annotation
            if not (isinstance(nested, type) and issubclass(nested, BaseModel)):
                return False
            model = nested
    return True


def test_our_containers_environment_is_settings_they_understand(
    services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in OURS:
        env = environment(services[name])
        unknown = [key for key in env if not _known_setting(key)]
        assert not unknown, f"{name}: not a setting: {unknown}"  # extra="ignore" would hide them
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        settings = Settings()

        temporal_host, temporal_port = settings.temporal_address.rsplit(":", 1)
        assert temporal_host in services
        assert any(p.endswith(f":{temporal_port}") for p in services[temporal_host]["ports"])

        database = urlsplit(settings.database_url)
        assert settings.database_url.startswith("postgresql+asyncpg://")
        db_env = environment(services[database.hostname or ""])
        assert database.port == 5432
        assert database.username == db_env["POSTGRES_USER"]
        assert database.password == db_env["POSTGRES_PASSWORD"]
        assert database.path.lstrip("/") == db_env["POSTGRES_DB"]

        assert settings.log_format == "json" and settings.production
        # Every secret production needs is there: none made up per container.
        role = {"api": "api", "worker": "worker"}.get(name, "migrate")
        assert production_problems(settings, role, check_database=False) == [], name


def test_our_containers_share_one_configuration(services: dict[str, dict[str, Any]]) -> None:
    """One environment for all: the worker that signs a link and the API that checks it hold
    the same secrets, and the links lead to the API as customers reach it."""
    first, *others = (environment(services[name]) for name in OURS)
    assert all(env == first for env in others)
    assert first["CHANNELS__PUBLIC_BASE_URL"] == REQUIRED["PUBLIC_BASE_URL"]
    assert "DATA_DIR" not in first  # nothing of theirs is kept on a container's disk


def test_ports_agree_with_the_commands_and_health_checks(
    services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    api = services["api"]
    command = api["command"]
    api_port = command[command.index("--port") + 1]
    assert f"{api_port}:{api_port}" in api["ports"]
    assert f"127.0.0.1:{api_port}/healthz" in healthcheck_text(api)

    worker = services["worker"]
    for key, value in environment(worker).items():
        monkeypatch.setenv(key, value)
    telemetry = Settings().telemetry
    exposed = {int(port) for port in worker["expose"]}
    assert {port_of(telemetry.sdk_metrics_address), port_of(telemetry.metrics_address)} == exposed
    assert f"127.0.0.1:{port_of(telemetry.metrics_address)}/metrics" in healthcheck_text(worker)
    assert worker["deploy"]["replicas"] >= 2  # several workers share the task queue
    assert "ports" not in worker  # fixed host ports would clash between replicas

    ui = services["temporal-ui"]
    assert ui["environment"]["TEMPORAL_ADDRESS"] == "temporal:7233"
    # The UI decodes through our codec server, and its origin may call it.
    codec = substitute(ui["environment"]["TEMPORAL_CODEC_ENDPOINT"])
    assert codec.endswith("/codec") and ui["environment"]["TEMPORAL_CODEC_INCLUDE_CREDENTIALS"]
    origins = json.loads(environment(services["api"])["CODEC_CORS_ORIGINS"])
    ui_port = ui["ports"][0].split(":")[0]
    assert f"http://localhost:{ui_port}" in origins


def test_temporal_is_set_up_as_temporals_own_compose_examples_do(
    services: dict[str, dict[str, Any]],
) -> None:
    """The server image (auto-setup is deprecated), its schema made by the admin-tools image
    first, the namespace after it; server, admin tools and UI at pinned releases."""
    server, tools = services["temporal"]["image"], services["temporal-admin-tools"]["image"]
    assert server.startswith("temporalio/server:") and tools.startswith("temporalio/admin-tools:")
    assert server.split(":")[1] == tools.split(":")[1]  # one release for both
    assert "auto-setup" not in COMPOSE.read_text()
    assert services["temporal"]["depends_on"] == {
        "temporal-admin-tools": {"condition": "service_completed_successfully"}
    }
    for one_shot in ("temporal-admin-tools", "temporal-create-namespace"):
        script = services[one_shot]["command"][0].replace("/scripts", "deploy/temporal")
        assert (REPO_ROOT / script).is_file(), script
    setup = services["temporal-setup"]["depends_on"]
    assert setup == {"temporal-create-namespace": {"condition": "service_completed_successfully"}}


def test_our_commands_exist_in_the_cli(services: dict[str, dict[str, Any]]) -> None:
    """The image's entrypoint is journeyctl; each service's command must be one of its own."""
    assert 'ENTRYPOINT ["journeyctl"]' in (REPO_ROOT / "deploy" / "Dockerfile").read_text()
    runner = CliRunner()
    for name in OURS:
        command = services[name]["command"]
        subcommand = command[:2] if command[0] == "ops" else command[:1]
        result = runner.invoke(app, [*subcommand, "--help"])
        assert result.exit_code == 0, f"{name}: {command}: {result.output}"
    assert services["temporal-setup"]["command"][:2] == ["ops", "register-search-attributes"]


def test_the_dockerignore_keeps_local_state_out_of_the_image() -> None:
    ignored = Path(REPO_ROOT / "deploy" / "Dockerfile.dockerignore").read_text().split()
    assert {".venv", "data", ".git"} <= set(ignored)
