"""Which channel a message goes out on."""

from models.channels import Channel
from models.customers import Customer


def reachable_channels(customer: Customer, allowed: tuple[Channel, ...]) -> list[Channel]:
    """The allowed channels, in the step's order, with consent and an address."""
    return [
        channel
        for channel in allowed
        if customer.consent.get(channel, False) and customer.address(channel)
    ]
