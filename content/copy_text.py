"""The copy itself, the record of how it was produced, and the text each channel sends."""

import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from catalog.models import ProductSnapshot
from content.picks import RecommendedPick
from content.reasons import CheckFailure, CheckResult, Reason
from models.channels import Channel

CopyPath = Literal["llm", "llm_retry", "template"]


class Copy(BaseModel):
    """The LLM's output format and the templates' too."""

    model_config = ConfigDict(frozen=True)

    title: str
    body: str
    cta: str
    disclaimers: list[str] = Field(default_factory=list)

    def parts(self) -> list[str]:
        return [self.title, self.body, self.cta, *self.disclaimers]

    def full_text(self) -> str:
        return "\n".join(self.parts())

    def content_hash(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


def sms_text(copy: Copy) -> str:
    """The exact SMS to send: every non-empty part on one line (the length limit applies to it)."""
    return " ".join(part.strip() for part in copy.parts() if part.strip())


class Attempt(BaseModel):
    """One LLM attempt that was not used, and why."""

    path: Literal["llm", "llm_retry"]
    failures: list[CheckFailure]


class CopyResult(BaseModel):
    """What write_copy produced: copy with figures filled from the sources of truth and personal
    placeholders ({{first_name}}, {{coupon_code}}, ...) still open for `fill_placeholders`."""

    content: Copy
    path: CopyPath
    attempts: list[Attempt] = Field(default_factory=list)
    checks: CheckResult
    template_id: str
    template_version: str
    variant: Literal["rational", "emotional"]
    channel: Channel
    locale: str
    model: str | None = None
    items: list[ProductSnapshot] = Field(
        default_factory=list, description="Live snapshots the copy was checked against."
    )
    picks: list[RecommendedPick] = Field(
        default_factory=list, description="Picks the copy was checked against (live prices)."
    )
    personal_placeholders: list[str] = Field(
        default_factory=list, description="Names fill_placeholders needs a value for."
    )
    context_hash: str
    content_hash: str
    from_cache: bool = False

    @computed_field  # type: ignore[prop-decorator]  # pydantic's documented form for a computed property
    @property
    def reasons(self) -> list[Reason]:
        """Reason codes of the failed attempts and errors that led to this path."""
        return list(dict.fromkeys(f.reason for a in self.attempts for f in a.failures))
