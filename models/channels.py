"""The delivery channels, in the product's order of priority."""

from enum import StrEnum


class Channel(StrEnum):
    INAPP = "inapp"
    PUSH = "push"
    WECHAT = "wechat"
    EMAIL = "email"
    SMS = "sms"


CHANNEL_PRIORITY: tuple[Channel, ...] = (
    Channel.INAPP,
    Channel.PUSH,
    Channel.WECHAT,
    Channel.EMAIL,
    Channel.SMS,
)
