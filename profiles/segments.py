"""Segments: combinations of tags whose entry starts journeys.

A segment holds for a customer while every one of its tag tests holds (tag -> accepted values).
A customer *enters* it when it starts to hold (a change of their tags after an event, or the
hourly batch; `daily` segments only in the daily scan) and leaves it when it stops holding.
Each entry is recorded and then stored and routed as an event like any other
(profiles/segment_starts.py): `segment_entered` with the segment's name, unless the segment says
which event it is (the dormant segments are `customer_dormant` with their tier, the event winback
has always started on). A journey is triggered by a segment by naming it
(`JourneySpec(trigger=EventType.SEGMENT_ENTERED, trigger_segment=...)`); its re-entry rule
applies as for any trigger.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from models.events import EventType
from models.profiles import TagValue


class SegmentDefinition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    description: str
    tags: dict[str, tuple[TagValue, ...]] = Field(min_length=1)
    scan: Literal["on_change", "daily"] = Field(
        "on_change",
        description="on_change: whenever the customer's tags are recomputed (after their events "
        "and in the hourly batch); daily: in the daily scan only",
    )
    event: EventType = EventType.SEGMENT_ENTERED
    properties: dict[str, Any] = Field(
        default_factory=dict, description="of the event (segment_entered: the segment's name)"
    )

    def holds(self, tags: dict[str, TagValue]) -> bool:
        return all(tags.get(name) in accepted for name, accepted in self.tags.items())

    def event_properties(self) -> dict[str, Any]:
        if self.event == EventType.SEGMENT_ENTERED:
            return {"segment": self.name, **self.properties}
        return dict(self.properties)


def _dormant(tier: str) -> SegmentDefinition:
    return SegmentDefinition(
        name=f"dormant_{tier}",
        description=f"no order for the {tier} dormancy tier's days: winback in that tier",
        tags={"lifecycle_stage": (f"dormant_{tier}",)},
        scan="daily",
        event=EventType.CUSTOMER_DORMANT,
        properties={"tier": tier},
    )


SEGMENTS: tuple[SegmentDefinition, ...] = (
    SegmentDefinition(
        name="high_value_new_arrivals",
        description="high order value, browsed new arrivals, no order in 7 days: early access",
        tags={
            "high_order_value": (True,),
            "browsed_new_arrivals": (True,),
            "no_order_7d": (True,),
        },
    ),
    _dormant("light"),
    _dormant("medium"),
    _dormant("heavy"),
)

SEGMENTS_BY_NAME = {segment.name: segment for segment in SEGMENTS}


def segments_held(
    tags: dict[str, TagValue], scan: Literal["on_change", "daily"]
) -> tuple[set[str], set[str]]:
    """(segments that hold, segments evaluated) for a scan: the daily scan evaluates every
    segment, other updates only the `on_change` ones."""
    evaluated = {s.name for s in SEGMENTS if scan == "daily" or s.scan == "on_change"}
    held = {s.name for s in SEGMENTS if s.name in evaluated and s.holds(tags)}
    return held, evaluated
