"""Settings of the content step; the app nests this model (e.g. `CONTENT__LLM__BASE_URL`)."""

from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, model_validator

from models.channels import Channel

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


DEFAULT_TOPIC_TERMS: dict[str, dict[str, list[str]]] = {
    "en": {
        "size": ["size", "sizing", "fit"],
        "payment": ["pay", "checkout"],
        "delivery": ["deliver", "shipping", "shipment", "parcel", "track"],
        "returns": ["return", "refund", "exchange"],
    },
    "zh": {
        "size": ["尺码", "尺寸"],
        "payment": ["支付", "付款"],
        "delivery": ["配送", "物流", "快递", "包裹"],
        "returns": ["退货", "退换", "退款"],
    },
}

DEFAULT_INTERNAL_TERMS: dict[str, list[str]] = {
    "en": [
        "abandonment",
        "winback",
        "win-back",
        "dormant",
        "dormancy",
        "holdout",
        "cross-sell",
        "upsell",
        "retargeting",
        "funnel",
        "purchase intent",
        "intent segment",
        "price sensitivity",
        "placeholder",
        "CTA",
        "SKU",
    ],
    "zh": ["弃购", "弃单", "召回", "占位符", "购买意向", "价格敏感度"],
}


class ChannelTokens(BaseModel):
    """The most tokens the LLM may generate for one message, per channel.

    Sized to the longest copy a channel takes, as the JSON answer (SmolLM2's tokenizer, the
    stingiest measured, needs about 60 for an English SMS and 250 for a Chinese email), so that
    a model that keeps going is stopped by the server, not by the client's timeout."""

    inapp: int = Field(200, gt=0)
    push: int = Field(160, gt=0)
    wechat: int = Field(300, gt=0)
    email: int = Field(420, gt=0)
    sms: int = Field(120, gt=0)

    def for_channel(self, channel: Channel) -> int:
        return int(getattr(self, channel.value))


class LLMSettings(BaseModel):
    base_url: str | None = Field(
        None,
        description="OpenAI-compatible API root including /v1, e.g. http://127.0.0.1:8080/v1; "
        "None means templates only.",
    )
    model: str = "gpt-4o-mini"
    api_key: SecretStr | None = None
    timeout_seconds: float = Field(
        8.0,
        gt=0,
        description="Whole-call limit; on expiry the stream is closed, which stops the server.",
    )
    temperature: float = Field(0.7, ge=0, le=2)
    max_tokens: ChannelTokens = Field(default_factory=ChannelTokens)
    stop: list[str] = Field(
        default_factory=lambda: ["\n\n\n", "\n```"],
        max_length=4,
        description="Stop sequences sent to the server (at most 4, OpenAI's limit): what a model "
        "writes after the JSON object, never inside it. The client also stops reading, and "
        "closes the stream, as soon as the object is complete.",
    )
    extra_body: dict[str, Any] = Field(
        default_factory=dict,
        description="Fields added to every request, for options a server has beyond OpenAI's "
        '(llama.cpp: {"repeat_penalty": 1.1, "min_p": 0.05}; vLLM: {"top_k": 20}).',
    )
    response_format: Literal["json_schema", "json_object", "plain"] = Field(
        "json_schema",
        description="First structured-output mode tried; an error that names the format "
        "(whatever its status) steps down to json_object, then to a plain prompt, and the "
        "client keeps the mode that the endpoint took.",
    )


class ContentSettings(BaseModel):
    llm: LLMSettings = Field(default_factory=LLMSettings)
    prompt_version: Literal["v2"] = "v2"
    prompt_example: bool = Field(
        True,
        description="Show the model the form of the message: our template for it, written "
        "about other items (content.example). An answer that mostly copies it fails the "
        "copied_example check; small models follow the form better with it.",
    )
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
    support_topic_terms: dict[str, dict[str, list[str]]] = Field(
        default_factory=lambda: {
            lang: {topic: list(terms) for topic, terms in topics.items()}
            for lang, topics in DEFAULT_TOPIC_TERMS.items()
        },
        description="Per language and support topic, words that name the topic (English ones "
        "match as word starts): copy about a ticket names one of them or an item.",
    )
    internal_terms: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_INTERNAL_TERMS.items()},
        description="Per language; our own jargon, never shown to customers (every list applies "
        "to every message).",
    )

    @model_validator(mode="after")
    def _every_language_has_an_opt_out_line(self) -> "ContentSettings":
        missing = {"en", "zh"} - set(self.sms_opt_out)
        if missing:
            raise ValueError(f"sms_opt_out needs a line for {sorted(missing)}")
        return self
