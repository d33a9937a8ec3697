"""The labels a dormancy assessment attaches to a customer: how long they have been away (tier)
and the most likely cause (reason), which decides the winback lever."""

from enum import StrEnum


class DormancyTier(StrEnum):
    ACTIVE = "active"
    LIGHT = "light"
    MEDIUM = "medium"
    HEAVY = "heavy"


class DormancyReason(StrEnum):
    PRICE = "price"
    CATEGORY = "category"
    SERVICE = "service"
