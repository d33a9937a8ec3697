"""Which journeys an event starts, restarts or ends."""

from dataclasses import dataclass
from enum import StrEnum

from journeys.cart_abandonment import CART_ABANDONMENT
from journeys.spec import JourneySpec
from models.events import EventType

JOURNEYS: tuple[JourneySpec, ...] = (CART_ABANDONMENT,)


class Action(StrEnum):
    START = "start"  # signal-with-start: start the journey, or signal the running one
    SIGNAL = "signal"  # only reaches a running journey


@dataclass(frozen=True)
class Route:
    journey: JourneySpec
    action: Action


def routes_for(event_type: EventType) -> list[Route]:
    routes = []
    for journey in JOURNEYS:
        if event_type == journey.trigger:
            routes.append(Route(journey, Action.START))
        elif event_type in journey.restart_on or event_type in journey.exit_on:
            routes.append(Route(journey, Action.SIGNAL))
    return routes


def journey_by_kind(kind: str) -> JourneySpec | None:
    return next((journey for journey in JOURNEYS if journey.kind == kind), None)
