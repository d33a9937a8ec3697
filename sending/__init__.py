"""The send path: every message a journey sends is decided and delivered here.

`SendPath.send` reads top to bottom: the decision point (sending/decision.py: one transaction
under the customer's lock), the copy (sending/copy.py), the delivery (sending/delivery.py).
Plain async Python: the activities adapt it to Temporal, and the domain packages it calls
(scoring, guardrails, content, offers, experiments, channels) never call back into it.
"""

from sending.copy import Copywriter
from sending.decision import Decided, DecisionPoint
from sending.delivery import Delivery, Parcel, RetryLaterError, UnknownMessageError
from sending.path import SendPath
from sending.winback_offer import OfferBook

__all__ = [
    "Copywriter",
    "Decided",
    "DecisionPoint",
    "Delivery",
    "OfferBook",
    "Parcel",
    "RetryLaterError",
    "SendPath",
    "UnknownMessageError",
]
