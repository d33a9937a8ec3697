"""The tag library: every tag a customer can hold, as data.

A tag is a definition: a name, one of the four dimensions, a rule, whether it is kept current
from events (`core`: recomputed within seconds of every event of the customer, and by the hourly
batch) or only by the hourly batch (`batch`: figures over the whole customer base, such as the
RFM cell), and a version (raise it when the rule changes; each customer's tag records the
version that set it). A rule is either

- `value_of`: the tag's value is the named figure (region, usual channel, stage...), held while
  the figure has a value; or
- `when`: a flag, held (value true) while every test holds, with its threshold in plain sight,
  e.g. `Test(figure="aov_12m", op="ge", value=500)`.

Figures are the names of `profiles.features.Features` plus `health_score`, `lifecycle_stage`,
`rfm_cell`, `rfm_top20`, `probability_alive` and `clv_365d` (profiles/compute.py). Adding a tag
is adding a definition to TAGS (docs/profile.md); `GET /v1/tags` lists them with their holders.
Tags never hold contact details: no figure is one.
"""

from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.profiles import TagValue

Dimension = Literal["basic", "value", "behaviour", "situation"]
Refresh = Literal["core", "batch"]
_OPS = {
    "ge": lambda a, b: a >= b,
    "gt": lambda a, b: a > b,
    "le": lambda a, b: a <= b,
    "lt": lambda a, b: a < b,
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
}
_SYMBOLS = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<", "eq": "==", "ne": "!="}


class Test(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    figure: str = Field(min_length=1)
    op: Literal["ge", "gt", "le", "lt", "eq", "ne"]
    value: TagValue

    def holds(self, figures: dict[str, Any]) -> bool:
        actual = figures.get(self.figure)
        if actual is None:
            return False  # an unknown figure passes no test
        try:
            return bool(_OPS[self.op](actual, self.value))
        except TypeError:
            return False

    def text(self) -> str:
        return f"{self.figure} {_SYMBOLS[self.op]} {self.value!r}"


class TagDefinition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    dimension: Dimension
    description: str
    refresh: Refresh
    version: int = Field(1, ge=1)
    value_of: str | None = None
    when: tuple[Test, ...] = ()

    @model_validator(mode="after")
    def _one_rule(self) -> Self:
        if (self.value_of is None) == (not self.when):
            raise ValueError(f"tag {self.name!r}: give value_of or when, not both")
        return self

    def rule(self) -> str:
        return f"= {self.value_of}" if self.value_of else " and ".join(t.text() for t in self.when)

    def evaluate(self, figures: dict[str, Any]) -> TagValue | None:
        """The tag's value, or None when the customer does not hold it."""
        if self.value_of is not None:
            value = figures.get(self.value_of)
            if value is None or value == "" or isinstance(value, list | tuple | dict):
                return None
            return value
        return True if all(test.holds(figures) for test in self.when) else None


def _flag(name: str, dimension: Dimension, description: str, refresh: Refresh, *tests: Test):
    return TagDefinition(
        name=name, dimension=dimension, description=description, refresh=refresh, when=tests
    )


def _value(name: str, dimension: Dimension, description: str, refresh: Refresh, figure: str):
    return TagDefinition(
        name=name, dimension=dimension, description=description, refresh=refresh, value_of=figure
    )


TAGS: tuple[TagDefinition, ...] = (
    # Basic attributes.
    _value("region", "basic", "the profile's `region` attribute", "core", "region"),
    _value("language", "basic", "the language of the profile's locale", "core", "language"),
    _value(
        "channel_preference",
        "basic",
        "the first channel the customer consented to (in-app > push > WeChat > email > SMS)",
        "core",
        "preferred_channel",
    ),
    # Value.
    _value("member_tier", "value", "the profile's `member_tier` attribute", "core", "member_tier"),
    _flag(
        "high_order_value",
        "value",
        "average order value over 12 months of 500 or more",
        "core",
        Test(figure="aov_12m", op="ge", value=500),
    ),
    _value("orders_12m", "value", "paid orders in the last 12 months", "core", "orders_12m"),
    _value("rfm_cell", "value", "RFM cell among the last year's buyers", "batch", "rfm_cell"),
    _flag(
        "rfm_top20",
        "value",
        "monetary score 5: the top 20 % by spend over a year",
        "batch",
        Test(figure="rfm_top20", op="eq", value=True),
    ),
    # Behaviour.
    _value(
        "usual_channel",
        "behaviour",
        "most opened or clicked channel, 90 days",
        "core",
        "usual_channel",
    ),  # fmt: skip
    _value(
        "active_hours",
        "behaviour",
        "part of the local day most active in, 30 days",
        "core",
        "active_hours",
    ),  # fmt: skip
    _flag(
        "delivery_support_streak",
        "behaviour",
        "the last 3 support contacts were about delivery",
        "core",
        Test(figure="last3_support_about_delivery", op="eq", value=True),
    ),
    _flag(
        "refuses_marketing",
        "behaviour",
        "no channel consented and open, or blacklisted",
        "core",
        Test(figure="refuses_marketing", op="eq", value=True),
    ),
    _flag(
        "browsed_new_arrivals",
        "behaviour",
        "viewed the new-arrivals page or a new arrival within 7 days",
        "core",
        Test(figure="browsed_new_arrivals_7d", op="eq", value=True),
    ),
    _flag(
        "no_order_7d",
        "behaviour",
        "a buyer whose last order is 7 days old or more",
        "core",
        Test(figure="days_since_last_order", op="ge", value=7),
    ),
    # Situation.
    _value(
        "after_sales_type",
        "situation",
        "topic of the latest support ticket within 90 days",
        "core",
        "after_sales_type",
    ),  # fmt: skip
    _flag(
        "high_complaint_risk",
        "situation",
        "2 or more complaints and negative support tickets in 180 days",
        "core",
        Test(figure="complaint_signals_180d", op="ge", value=2),
    ),
    _flag(
        "high_churn_risk",
        "situation",
        "a buyer the purchase model gives under 30 % of still being active",
        "core",
        Test(figure="probability_alive", op="lt", value=0.3),
    ),
    _value("lifecycle_stage", "situation", "the lifecycle stage", "core", "lifecycle_stage"),
)

TAGS_BY_NAME = {tag.name: tag for tag in TAGS}
CORE_TAGS = tuple(tag for tag in TAGS if tag.refresh == "core")


def evaluate_tags(
    figures: dict[str, Any], tags: tuple[TagDefinition, ...] = TAGS
) -> dict[str, TagValue]:
    """The tags held (name -> value) among `tags`."""
    held = {}
    for tag in tags:
        value = tag.evaluate(figures)
        if value is not None:
            held[tag.name] = value
    return held
