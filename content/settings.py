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
        # The superlatives 最 bans in Chinese, and a small model's favourites ("The best shoes",
        # "the Ultimate Digital Camera" for a tote bag: SmolLM2-135M under the schema).
        "best",
        "ultimate",
        "greatest",
        "finest",
        "perfect",
        "luxury",
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

# A follow-up to a ticket that ended unhappily sells nothing: none of these may appear in it.
DEFAULT_PROMOTION_TERMS: dict[str, list[str]] = {
    "en": [
        "sale",
        "discount",
        "% off",
        "deal",
        "coupon",
        "shop now",
        "buy now",
        "picks",
        "new arrivals",
        "you might also like",
        "treat yourself",
    ],
    "zh": ["优惠", "折扣", "促销", "特价", "优惠券", "立即购买", "抢购", "新品", "好物", "推荐"],
}

# ...and it apologises with one of these.
DEFAULT_APOLOGY_TERMS: dict[str, list[str]] = {
    "en": ["sorry", "apologise", "apologize", "apologies"],
    "zh": ["抱歉", "对不起", "致歉", "歉意"],
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

    inapp: int = Field(200, gt=0, description="most tokens the LLM may write for an in-app message")
    push: int = Field(160, gt=0, description="most tokens the LLM may write for an app push")
    wechat: int = Field(
        300, gt=0, description="most tokens the LLM may write for a WeChat template message"
    )
    email: int = Field(420, gt=0, description="most tokens the LLM may write for an email")
    sms: int = Field(120, gt=0, description="most tokens the LLM may write for an SMS")

    def for_channel(self, channel: Channel) -> int:
        return int(getattr(self, channel.value))


class LLMSettings(BaseModel):
    base_url: str | None = Field(
        None,
        description="OpenAI-compatible API root including /v1, e.g. http://127.0.0.1:8080/v1; "
        "None means templates only.",
    )
    model: str = Field(
        "gpt-4o-mini",
        description="model name sent to the LLM server; recorded with the copy it wrote",
    )
    api_key: SecretStr | None = Field(
        None, description="bearer key of the LLM server; unset: no Authorization header"
    )
    timeout_seconds: float = Field(
        8.0,
        gt=0,
        description="Whole-call limit; on expiry the stream is closed, which stops the server.",
    )
    temperature: float = Field(
        0.7,
        ge=0,
        le=2,
        description="sampling temperature sent to the LLM: higher varies the wording more, "
        "0 is the most predictable",
    )
    max_tokens: ChannelTokens = Field(
        default_factory=ChannelTokens,
        description="the most tokens the LLM may generate for one message, per channel: sized "
        "to the longest copy a channel takes, so that a model that keeps going is stopped by "
        "the server, not by the client's timeout",
    )
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
    prompt_version: Literal["v2"] = Field(
        "v2",
        description="the LLM prompt used (content/prompts.py); recorded with each copy and part "
        "of the copy cache's key, so copy written with another prompt is not reused",
    )
    prompt_example: bool = Field(
        True,
        description="Show the model the form of the message: our template for it, written "
        "about other items (content.example). An answer that mostly copies it fails the "
        "copied_example check; small models follow the form better with it.",
    )
    brand_name: str = Field(
        "our store", description="the shop's name, as the LLM prompt introduces the sender"
    )
    brand_tone: str = Field(
        "warm, clear and honest; short sentences; helpful rather than pushy",
        description="the brand tone the LLM prompt asks every message to keep",
    )
    faq_url: str = Field(
        "https://shop.example.com/help/faq",
        description="the FAQ link every email must contain (PRODUCT.md), filled in for "
        "{{faq_link}}; its host is one copy may link to",
    )
    allowed_link_hosts: list[str] = Field(
        default_factory=list, description="Hosts copy may link to, besides the FAQ's host."
    )
    sms_max_chars: int = Field(70, gt=0, description="Whole SMS, opt-out line included.")
    push_title_max_chars: int = Field(
        24,
        gt=0,
        description="longest app push title, in characters, placeholders counted at their "
        "reserved width (PRODUCT.md: 24); a longer title fails the content check",
    )
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
    promotion_terms: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_PROMOTION_TERMS.items()},
        description="Per language (English ones match as words): sales wording a follow-up to "
        "a ticket that ended unhappily must not use.",
    )
    apology_terms: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_APOLOGY_TERMS.items()},
        description="Per language: a follow-up to a ticket that ended unhappily says one of them.",
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
