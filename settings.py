"""The one settings model: every knob of the API, worker and CLI, read from the environment."""

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from alerts.settings import AlertSettings
from catalog.settings import CatalogSettings
from channels.settings import ChannelSettings
from content.settings import ContentSettings
from dormancy.settings import DormancySettings
from encryption import EncryptionSettings, Keyring
from experiments.settings import ExperimentSettings
from guardrails.settings import GuardrailSettings
from models.api_keys import ApiKey
from offers.settings import OfferSettings
from profiles.settings import ProfileSettings
from recommendations.settings import RecommendationSettings
from reports.settings import ReportSettings
from scoring.settings import ScoringSettings
from storage.dev_secrets import dev_secret
from telemetry.settings import TelemetrySettings
from webhooks.settings import WebhookSettings

REPO_ROOT = Path(__file__).resolve().parent


class MissingSetting(RuntimeError):
    """A secret production needs is not configured; development would have made one up."""

    def __init__(self, variable: str) -> None:
        super().__init__(f"{variable} is required in production (ENVIRONMENT=production)")
        self.variable = variable


def configured_or_dev(
    settings: "Settings", configured: SecretStr | None, variable: str, dev_file: str
) -> str:
    """The configured secret; in development a generated one kept in `data_dir/dev_file`
    (shared by the stack's processes); in production a missing one is an error."""
    if configured is not None:
        return configured.get_secret_value()
    if settings.production:
        raise MissingSetting(variable)
    return dev_secret(settings.data_dir, dev_file)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_nested_delimiter="__", extra="ignore")

    environment: Literal["development", "production"] = Field(
        "development",
        description="production: no development defaults; every secret must be configured "
        "and the processes refuse to start otherwise (cli/preflight.py, docs/production.md)",
    )
    log_format: Literal["json", "console", "auto"] = Field(
        "auto", description="auto: readable console lines on a terminal, JSON lines otherwise"
    )
    log_level: str = Field(
        "info",
        description="lowest level logged by every process: debug, info, warning, error or critical",
    )
    data_dir: Path = Field(REPO_ROOT / "data", description="SQLite files and the dev API key")

    database_url: str = Field(
        "", description="SQLAlchemy async URL; empty means a SQLite file under data_dir"
    )

    # Also read by temporalio.envconfig, with TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE
    # and temporal.toml profiles (temporal_client.py); unset: the profile's, else the defaults.
    temporal_address: str | None = Field(None, description="host:port; default localhost:7233")
    temporal_namespace: str | None = Field(None, description="default: default")
    task_queue: str = Field(
        "journeys",
        description="the Temporal task queue the worker polls and the API starts journeys on; "
        "the same in every process of one deployment",
    )
    worker_build_id: str = Field(
        "",
        description="the build id the worker reports to Temporal (e.g. the image tag); empty: "
        "a hash of the journey code's source files (workers/build_id.py)",
    )
    strict_workflow_sandbox: bool = Field(
        False,
        description="run the journey code in Temporal's sandbox, re-imported for every workflow "
        "run, so that a non-deterministic call in it fails the run (the tests run so; "
        "production's unsandboxed runs cost the worker ~30 % less CPU per send)",
    )

    api_keys: list[ApiKey | SecretStr] = Field(
        default_factory=list,
        description="Bearer keys accepted by the API (JSON list in API_KEYS) with their scopes: "
        '[{"name": "checkout", "key": "...", "scopes": ["events:write"]}]; a plain string is an '
        "all-scopes key (development only); when empty a development key is generated and "
        "stored under data_dir",
    )
    codec_cors_origins: list[str] = Field(
        default_factory=lambda: ["http://localhost:8233", "http://127.0.0.1:8233"],
        description="origins of the Temporal Web UI allowed to call the codec server (/codec)",
    )
    temporal_web_url: str = Field(
        "http://localhost:8233",
        description="the Temporal Web UI's base address; the console links each run there",
    )
    console_session_secret: SecretStr | None = Field(
        None, description="signs the console's session cookies (CONSOLE_SESSION_SECRET)"
    )
    console_session_hours: float = Field(8, gt=0, description="a console sign-in lasts this long")
    max_body_bytes: int = Field(
        256 * 1024,
        description="largest API request body, in bytes (declared or streamed); a larger one "
        "gets 413",
    )
    temporal_wait_seconds: float = Field(
        1.5,
        gt=0,
        description="how long the API waits for Temporal on a request before it answers 503 "
        "with Retry-After (the sender's retry is safe: journeys drop a repeated event)",
    )

    smtp_host: str = Field("", description="SMTP relay; empty sends email to the dev outbox")
    smtp_port: int = Field(
        25,
        description="port of the SMTP relay; usually 587 with SMTP_START_TLS, 465 with "
        "SMTP_USE_TLS",
    )
    smtp_username: str = Field("", description="SMTP login; empty: no authentication")
    smtp_password: SecretStr = Field(SecretStr(""), description="password of the SMTP login")
    smtp_start_tls: bool = Field(
        False, description="upgrade the SMTP connection with STARTTLS before authenticating"
    )
    smtp_use_tls: bool = Field(
        False, description="connect to the SMTP relay over TLS from the start (implicit TLS)"
    )
    smtp_timeout_seconds: float = Field(
        10.0, description="seconds to wait for the SMTP relay, per connect and per command"
    )
    email_from: str = Field(
        "Shop <noreply@shop.example>",
        description="From header of every email; its domain also names the Message-ID and its "
        "address is the envelope sender (bounces go there)",
    )

    guardrails: GuardrailSettings = Field(default_factory=GuardrailSettings)
    scoring: ScoringSettings = Field(default_factory=ScoringSettings)
    content: ContentSettings = Field(default_factory=ContentSettings)
    offers: OfferSettings = Field(default_factory=OfferSettings)
    dormancy: DormancySettings = Field(default_factory=DormancySettings)
    catalog: CatalogSettings | None = Field(
        None, description="the live price/stock service; unset: copy states no live figures"
    )
    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings)
    channels: ChannelSettings = Field(default_factory=ChannelSettings)
    experiments: ExperimentSettings = Field(default_factory=ExperimentSettings)
    reports: ReportSettings = Field(default_factory=ReportSettings)
    recommendations: RecommendationSettings = Field(default_factory=RecommendationSettings)
    encryption: EncryptionSettings = Field(default_factory=EncryptionSettings)
    # The standard OpenTelemetry variables, under their own names; `telemetry` takes them up.
    otel_exporter_otlp_endpoint: str = Field(
        "",
        description="OTLP/HTTP collector base URL, e.g. http://otel-collector:4318 (traces go to "
        "its /v1/traces); TELEMETRY__OTLP_ENDPOINT, the older name, wins when set; both empty: "
        "no OTLP export",
    )
    otel_exporter_otlp_traces_endpoint: str = Field(
        "", description="the full OTLP/HTTP traces URL; wins over OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    otel_service_name: str = Field(
        "",
        description="the OpenTelemetry service.name of this process, as given; empty: "
        "TELEMETRY__SERVICE_NAME followed by -api or -worker",
    )
    otel_sdk_disabled: bool = Field(False, description="true: no tracing, whatever endpoint is set")

    @model_validator(mode="after")
    def _standard_telemetry_variables(self) -> "Settings":
        telemetry = self.telemetry
        telemetry.otlp_endpoint = telemetry.otlp_endpoint or self.otel_exporter_otlp_endpoint
        telemetry.otlp_traces_endpoint = (
            telemetry.otlp_traces_endpoint or self.otel_exporter_otlp_traces_endpoint
        )
        telemetry.otel_service_name = telemetry.otel_service_name or self.otel_service_name
        telemetry.disabled = telemetry.disabled or self.otel_sdk_disabled
        return self

    @property
    def production(self) -> bool:
        return self.environment == "production"

    def keyring(self) -> Keyring:
        """The configured keys; the public development keys only outside production."""
        if self.production and not self.encryption.keys:
            raise MissingSetting("ENCRYPTION__KEYS")
        return Keyring.from_settings(self.encryption)

    @property
    def encrypt_payloads(self) -> bool:
        if self.encryption.payloads is not None:
            return self.encryption.payloads
        return bool(self.encryption.keys) or self.production

    profile: ProfileSettings = Field(default_factory=ProfileSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'journeys.db'}"
