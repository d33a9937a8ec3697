"""The webhook delivery pass as an activity (the logic: webhooks/delivery.py)."""

from datetime import datetime

from pydantic import BaseModel
from temporalio import activity

from webhooks.delivery import PassResult, WebhookSender


class DeliveryPass(BaseModel):
    endpoint_id: str
    now: datetime


class DeliveryPassResult(BaseModel):
    gone: bool
    delivered: int
    failures: int
    wait_seconds: float


class WebhookActivities:
    def __init__(self, sender: WebhookSender) -> None:
        self._sender = sender

    @activity.defn
    async def deliver_webhooks(self, request: DeliveryPass) -> DeliveryPassResult:
        result: PassResult = await self._sender.deliver_pass(request.endpoint_id, request.now)
        return DeliveryPassResult(**result.__dict__)
