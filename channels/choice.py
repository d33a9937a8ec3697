"""Which channels a message could go out on at all."""

from models.channels import Channel
from models.customers import Customer


def addressable_channels(customer: Customer, allowed: tuple[Channel, ...]) -> list[Channel]:
    """The allowed channels, in the step's order, the customer has an address for.

    Consent is not checked here: the guardrails do, so the ledger says why a channel was refused.
    """
    return [channel for channel in allowed if customer.address(channel)]
