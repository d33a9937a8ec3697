"""What the API accepts and nothing else reads: an event that may name its customer by identity,
and a customer's profile within the limits of models/limits.py.

The worker never imports this module, so these validators are built when the API imports it.
(Built lazily instead, as the worker's own profile models are, FastAPI would build each at the
route's first request, outside its silencing of pydantic's warning about the body's alias.)
"""

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from models.customers import CustomerProfile
from models.events import Event, Identifier
from models.limits import PropertyBag, Text128, Text512
from models.profiles import IdentifierKind


class EventIdentity(BaseModel):
    """Whatever the source knows about who did it, besides (or instead of) a customer id.

    Never stored as given and never passed on: only the keyed hashes of these values are kept
    (storage/identity.py), and the event is routed to journeys without them."""

    model_config = ConfigDict(extra="forbid")

    device_id: Identifier | None = Field(None, description="an anonymous device or cookie id")
    email: EmailStr | None = None
    phone: str | None = Field(None, pattern=r"^\+?[0-9 ()\-]{5,20}$")
    wechat_openid: str | None = Field(None, min_length=1, max_length=128)
    verified: list[Literal["email", "phone", "wechat_openid"]] = Field(
        default_factory=list,
        description="identifiers the source verified (a confirmed login, an OTP): only these "
        "can tie the event to a customer that is not anonymous",
    )

    def identifiers(self) -> list[tuple[IdentifierKind, str, bool]]:
        """(kind, value, verified), strongest first: verified contact details, the device, the
        unverified ones."""
        given = [
            (IdentifierKind.EMAIL, self.email),
            (IdentifierKind.PHONE, self.phone),
            (IdentifierKind.WECHAT_OPENID, self.wechat_openid),
            (IdentifierKind.DEVICE, self.device_id),
        ]
        found = [(kind, str(value), kind.value in self.verified) for kind, value in given if value]
        return sorted(found, key=lambda item: (not item[2], item[0] != IdentifierKind.DEVICE))


class IncomingEvent(Event):
    """What `POST /v1/events` accepts: an event whose customer may be named by identity alone."""

    customer_id: Identifier | None = None  # type: ignore[assignment]  # optional here: an event may name its customer by identity alone
    identity: EventIdentity | None = Field(
        None, description="identifiers to resolve the customer by (docs/profile.md)"
    )

    @model_validator(mode="after")
    def _someone(self) -> Self:
        if self.customer_id is None and (self.identity is None or not self.identity.identifiers()):
            raise ValueError("customer_id or an identity (device_id, email, phone...) is required")
        return self

    def for_customer(self, customer_id: str) -> Event:
        """The event as stored and routed: the resolved customer, and no identifiers."""
        fields = self.model_dump(exclude={"identity", "customer_id"})
        return Event(customer_id=customer_id, **fields)


class ProfileInput(CustomerProfile):
    """What `PUT /v1/customers/{id}` accepts: the profile, its free text and attributes within
    the limits of models/limits.py. Checked when it comes in, not when a journey reads it back
    (a profile stored before a limit existed still loads)."""

    model_config = ConfigDict(defer_build=False)  # the worker's CustomerProfile defers; not here

    push_token: Text512 | None = None
    wechat_openid: Text128 | None = None
    attributes: PropertyBag = Field(default_factory=dict)
