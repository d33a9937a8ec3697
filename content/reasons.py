"""Reason codes: why a check failed or why the LLM's copy was not used."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, computed_field


class Reason(StrEnum):
    # shape
    INVALID_JSON = "invalid_json"
    INVALID_SHAPE = "invalid_shape"
    UNKNOWN_PLACEHOLDER = "unknown_placeholder"
    # channel rules
    SMS_TOO_LONG = "sms_too_long"
    PUSH_TITLE_TOO_LONG = "push_title_too_long"
    MISSING_FAQ_LINK = "missing_faq_link"
    MISSING_VIEW_DETAILS = "missing_view_details"
    MISSING_OFFER_VALIDITY = "missing_offer_validity"
    MISSING_OPT_OUT = "missing_opt_out"
    MISSING_UNSUBSCRIBE = "missing_unsubscribe"
    # wording
    BANNED_WORD = "banned_word"
    UNKNOWN_LINK = "unknown_link"
    # tone: after a ticket that ended unhappily
    PROMOTION_IN_APOLOGY = "promotion_in_apology"
    MISSING_APOLOGY = "missing_apology"
    # sense: would a customer understand it
    WRONG_LANGUAGE = "wrong_language"
    UNFINISHED_TEXT = "unfinished_text"
    INVENTED_NUMBER = "invented_number"
    NAMES_NOTHING_GIVEN = "names_nothing_given"
    INTERNAL_TERM = "internal_term"
    CTA_MISMATCH = "cta_mismatch"
    COPIED_EXAMPLE = "copied_example"
    ECHOED_PROMPT = "echoed_prompt"
    # figures against the live catalog and the offer's source of truth
    PRICE_MISMATCH = "price_mismatch"
    PRICE_UNVERIFIABLE = "price_unverifiable"
    DISCOUNT_MISMATCH = "discount_mismatch"
    STOCK_MISMATCH = "stock_mismatch"
    STOCK_UNVERIFIABLE = "stock_unverifiable"
    # the LLM call itself
    LLM_NOT_CONFIGURED = "llm_not_configured"
    LLM_UNAVAILABLE = "llm_unavailable"
    LLM_TIMEOUT = "llm_timeout"
    LLM_HTTP_ERROR = "llm_http_error"
    LLM_BAD_RESPONSE = "llm_bad_response"
    LLM_TRUNCATED = "llm_truncated"


class CheckFailure(BaseModel):
    model_config = ConfigDict(frozen=True)

    reason: Reason
    detail: str


class CheckResult(BaseModel):
    failures: list[CheckFailure] = []

    @computed_field  # type: ignore[prop-decorator]  # pydantic's documented form for a computed property
    @property
    def ok(self) -> bool:
        return not self.failures

    @computed_field  # type: ignore[prop-decorator]  # pydantic's documented form for a computed property
    @property
    def reasons(self) -> list[Reason]:
        return list(dict.fromkeys(f.reason for f in self.failures))
