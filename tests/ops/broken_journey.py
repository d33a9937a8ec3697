"""A broken release of the cart-abandonment journey: registered under the real workflow type
name, it fails every run, as a bad deploy would. The ops tests then replay and retry those runs
against the real code."""

from collections.abc import Sequence
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from journeys.cart_abandonment import CART_ABANDONMENT
    from journeys.runs import DeliverMessage, JourneyInput, JourneyState


@workflow.defn(name=CART_ABANDONMENT.workflow_type)
class BrokenCartAbandonment:
    @workflow.signal(dynamic=True)
    def on_event(self, name: str, args: Sequence[RawValue]) -> None:
        pass

    @workflow.run
    async def run(self, input: JourneyInput) -> JourneyState:
        raise ApplicationError("broken release", type="BrokenRelease", non_retryable=True)


@activity.defn(name="deliver_message")
async def refuse_delivery(request: DeliverMessage) -> None:
    """The broken release's delivery: refused for good, as a provider might."""
    raise ApplicationError("provider refused", type="DeliveryRefused", non_retryable=True)


@workflow.defn(name=CART_ABANDONMENT.workflow_type)
class ActivityFailingCartAbandonment:
    """A release whose journeys fail on an activity that fails for good."""

    @workflow.signal(dynamic=True)
    def on_event(self, name: str, args: Sequence[RawValue]) -> None:
        pass

    @workflow.run
    async def run(self, input: JourneyInput) -> JourneyState:
        await workflow.execute_activity(
            refuse_delivery,
            DeliverMessage(message_id="m_never_decided"),
            start_to_close_timeout=timedelta(seconds=10),
        )
        return JourneyState(journey=input.spec.kind, customer_id=input.customer_id)


@workflow.defn(name=CART_ABANDONMENT.workflow_type)
class CartAbandonmentBeforePatches:
    """A release from before `journey-interpreter-v2`: it records no patch, and waits."""

    def __init__(self) -> None:
        self._done = False

    @workflow.signal(dynamic=True)
    def on_event(self, name: str, args: Sequence[RawValue]) -> None:
        pass

    @workflow.run
    async def run(self, input: JourneyInput) -> None:
        await workflow.wait_condition(lambda: self._done)
