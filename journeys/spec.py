"""The language journeys are written in. A definition is data: no I/O, no Temporal.

A journey starts on its `trigger` event; its clock (the *anchor*) is the moment the trigger, or a
later `restart_on` event, reached the journey. `exit_on` events end it before its next send.
Steps run in order: a `Wait` holds until `after` past the anchor, a `Send` asks for one message.
"""

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.channels import Channel
from models.events import EventType

StepId = Annotated[str, Field(pattern=r"^[a-z0-9_]{1,48}$")]


class Wait(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Literal["wait"] = "wait"
    id: StepId
    after: timedelta = Field(description="how long after the anchor the wait ends")


class Send(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Literal["send"] = "send"
    id: StepId
    stage: int = Field(ge=1)
    template: str
    channels: tuple[Channel, ...] = Field(
        min_length=1, description="allowed channels, most preferred first"
    )


Step = Annotated[Wait | Send, Field(discriminator="kind")]


class JourneySpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str = Field(pattern=r"^[a-z_]{1,40}$", description="prefix of the workflow id")
    workflow_type: str = Field(description="the workflow type name shown in the Temporal UI")
    version: int = Field(ge=1)
    trigger: EventType
    restart_on: tuple[EventType, ...] = ()
    exit_on: tuple[EventType, ...] = ()
    steps: tuple[Step, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _step_ids_unique(self) -> "JourneySpec":
        ids = [step.id for step in self.steps]
        if len(ids) != len(set(ids)):
            raise ValueError("step ids must be unique within a journey")
        return self

    def workflow_id(self, customer_id: str) -> str:
        return f"{self.kind}:{customer_id}"
