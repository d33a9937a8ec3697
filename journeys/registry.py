"""Every journey that runs, and which journeys an event starts, signals or ends.

Adding a journey is adding its definition to JOURNEYS: the workflow type of the same name is
made for it (workflows/journey.py), and events are routed by what the definition says.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from journeys.browse_abandonment import BROWSE_ABANDONMENT
from journeys.cart_abandonment import CART_ABANDONMENT
from journeys.cross_sell import CROSS_SELL, EARLY_ACCESS
from journeys.offer_expiry import OFFER_EXPIRY
from journeys.post_support import POST_SUPPORT
from journeys.price_alerts import LOW_STOCK, PRICE_DROP
from journeys.spec import JourneySpec
from journeys.store_reminder import STORE_REMINDER
from journeys.welcome import WELCOME
from journeys.winback import WINBACK
from models.events import EventType

JOURNEYS: tuple[JourneySpec, ...] = (
    WELCOME,
    BROWSE_ABANDONMENT,
    CART_ABANDONMENT,
    PRICE_DROP,
    LOW_STOCK,
    POST_SUPPORT,
    OFFER_EXPIRY,
    WINBACK,
    STORE_REMINDER,
    CROSS_SELL,
    EARLY_ACCESS,
)


class Action(StrEnum):
    START = "start"  # signal-with-start: start the journey, or signal the running one
    SIGNAL = "signal"  # only reaches a running journey (a restart, or an awaited event)
    END = "end"  # only reaches a running journey, which it ends


@dataclass(frozen=True)
class Route:
    journey: JourneySpec
    action: Action


def routes_for(event_type: EventType, properties: dict[str, Any]) -> list[Route]:
    routes = []
    for journey in JOURNEYS:
        if journey.starts_on(event_type, properties):
            routes.append(Route(journey, Action.START))
        elif event_type in journey.exit_on:
            routes.append(Route(journey, Action.END))
        elif event_type in journey.listens_to():
            routes.append(Route(journey, Action.SIGNAL))
    return routes


def journey_by_kind(kind: str) -> JourneySpec | None:
    return next((journey for journey in JOURNEYS if journey.kind == kind), None)
