"""What an offer gives the customer, as the copy describes it."""

from enum import StrEnum


class BenefitKind(StrEnum):
    AMOUNT_OFF = "amount_off"  # value: amount in the offer's currency
    PERCENT_OFF = "percent_off"  # value: percent, 0 < value < 100
    FREE_SHIPPING = "free_shipping"  # value unused
    PRIORITY_SUPPORT = "priority_support"  # non-monetary; value unused
    EXTENDED_RETURNS = "extended_returns"  # non-monetary; value: days
