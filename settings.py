"""The one settings model: every knob of the API, worker and CLI, read from the environment."""

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from catalog.settings import CatalogSettings
from channels.settings import ChannelSettings
from content.settings import ContentSettings
from dormancy.settings import DormancySettings
from experiments.settings import ExperimentSettings
from guardrails.settings import GuardrailSettings
from offers.settings import OfferSettings
from profiles.settings import ProfileSettings
from reports.settings import ReportSettings
from scoring.settings import ScoringSettings
from telemetry.settings import TelemetrySettings

REPO_ROOT = Path(__file__).resolve().parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_nested_delimiter="__", extra="ignore")

    log_format: Literal["json", "console", "auto"] = Field(
        "auto", description="auto: readable console lines on a terminal, JSON lines otherwise"
    )
    log_level: str = "info"
    data_dir: Path = Field(REPO_ROOT / "data", description="SQLite files and the dev API key")

    database_url: str = Field(
        "", description="SQLAlchemy async URL; empty means a SQLite file under data_dir"
    )

    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    task_queue: str = "journeys"
    strict_workflow_sandbox: bool = Field(
        False,
        description="run the journey code in Temporal's sandbox, re-imported for every workflow "
        "run, so that a non-deterministic call in it fails the run (the tests run so; "
        "production's unsandboxed runs cost the worker ~30 % less CPU per send)",
    )

    api_keys: list[SecretStr] = Field(
        default_factory=list,
        description="Bearer keys accepted by the API (JSON list in API_KEYS); "
        "when empty a development key is generated and stored under data_dir",
    )
    max_body_bytes: int = 256 * 1024

    smtp_host: str = Field("", description="SMTP relay; empty sends email to the dev outbox")
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_start_tls: bool = False
    smtp_use_tls: bool = False
    smtp_timeout_seconds: float = 10.0
    email_from: str = "Shop <noreply@shop.example>"

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
    profile: ProfileSettings = Field(default_factory=ProfileSettings)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'journeys.db'}"
