"""Settings of the content step; the app nests this model (e.g. `CONTENT__LLM__BASE_URL`)."""

from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator

DEFAULT_BANNED_TERMS: dict[str, list[str]] = {
    # Absolute and exaggerated claims; advertising law in China bans superlatives outright.
    "en": [
        "guaranteed",
        "best ever",
        "100%",
        "risk-free",
        "lowest price",
        "cheapest",
        "miracle",
        "once in a lifetime",
        "number one",
        "#1",
        "world's best",
        "no.1",
    ],
    "zh": [
        "最",
        "第一",
        "绝对",
        "国家级",
        "顶级",
        "极品",
        "史上",
        "百分百",
        "万能",
        "永久",
        "100%",
    ],
}


class LLMSettings(BaseModel):
    base_url: str | None = Field(
        None,
        description="OpenAI-compatible API root including /v1, e.g. http://127.0.0.1:8080/v1; "
        "None means templates only.",
    )
    model: str = "gpt-4o-mini"
    api_key: SecretStr | None = None
    timeout_seconds: float = Field(8.0, gt=0, description="Whole-request limit per LLM call.")
    temperature: float = Field(0.7, ge=0, le=2)
    max_tokens: int = Field(400, gt=0)
    response_format: Literal["json_schema", "json_object", "plain"] = Field(
        "json_schema",
        description="First structured-output mode tried; a server that rejects it (400/422) is "
        "retried with the next one (json_object, then plain).",
    )


class ContentSettings(BaseModel):
    llm: LLMSettings = Field(default_factory=LLMSettings)
    prompt_version: Literal["v1"] = "v1"
    brand_name: str = "our store"
    brand_tone: str = "warm, clear and honest; short sentences; helpful rather than pushy"
    faq_url: str = "https://shop.example.com/help/faq"
    allowed_link_hosts: list[str] = Field(
        default_factory=list, description="Hosts copy may link to, besides the FAQ's host."
    )
    sms_max_chars: int = Field(70, gt=0, description="Whole SMS, opt-out line included.")
    push_title_max_chars: int = Field(24, gt=0)
    sms_opt_out: dict[str, str] = Field(
        default_factory=lambda: {"en": "Reply TD to opt out", "zh": "回TD退订"},
        description="Opt-out line per language, asked of the LLM and used by the templates.",
    )
    sms_opt_out_patterns: list[str] = Field(
        default_factory=lambda: [
            r"reply\s+(?:TD|STOP)\s+to\s+(?:opt[\s-]?out|unsubscribe)",
            r"回复?\s*TD\s*退订",
        ],
        description="Regular expressions (case-insensitive); an SMS must match one of them.",
    )
    email_unsubscribe_terms: list[str] = Field(
        default_factory=lambda: ["unsubscribe", "退订"],
        description="An email must mention one of these (the link itself is a placeholder).",
    )
    view_details_terms: list[str] = Field(
        default_factory=lambda: ["view details", "查看详情"],
        description="A WeChat message must contain one of these.",
    )
    banned_terms: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_BANNED_TERMS.items()},
        description="Per language; every list applies to every message.",
    )
    max_items: int = Field(3, ge=1, description="Recent items offered to the copy.")

    @model_validator(mode="after")
    def _every_language_has_an_opt_out_line(self) -> "ContentSettings":
        missing = {"en", "zh"} - set(self.sms_opt_out)
        if missing:
            raise ValueError(f"sms_opt_out needs a line for {sorted(missing)}")
        return self
