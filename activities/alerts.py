"""The alerts' evaluation as an activity, and the operators' email through the SMTP channel
(the logic: alerts/evaluate.py)."""

from datetime import datetime

import structlog
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from alerts.evaluate import AlertChange, evaluate_alerts, operator_email
from alerts.settings import AlertSettings
from channels.base import DeliveryError, OutgoingMessage
from channels.smtp import SmtpSender
from models.channels import Channel

log = structlog.get_logger()


class AlertCheck(BaseModel):
    now: datetime


class AlertChanges(BaseModel):
    raised: list[str]
    cleared: list[str]


class AlertActivities:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: AlertSettings,
        smtp: SmtpSender | None,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._smtp = smtp

    @activity.defn
    async def evaluate_alerts(self, request: AlertCheck) -> AlertChanges:
        done = await evaluate_alerts(self._sessions, request.now, self._settings)
        for change in done:
            log.warning(
                "alert " + change.change, alert_id=change.alert.alert_id, key=change.alert.key
            )
            await self._tell_operators(change)
        return AlertChanges(
            raised=[c.alert.alert_id for c in done if c.change == "raised"],
            cleared=[c.alert.alert_id for c in done if c.change == "cleared"],
        )

    async def _tell_operators(self, change: AlertChange) -> None:
        """Best effort: the alert is recorded (console, webhook) whether or not a mail gets out."""
        if self._smtp is None or not self._settings.operators:
            return
        subject, text = operator_email(change)
        for address in self._settings.operators:
            message_id = f"{change.alert.alert_id}-{change.change}"
            try:
                await self._smtp.send(
                    OutgoingMessage(
                        message_id=message_id,
                        idempotency_key=message_id,
                        customer_id="operators",
                        channel=Channel.EMAIL,
                        address=address,
                        locale="en",
                        title=subject,
                        body=text,
                    )
                )
            except (DeliveryError, OSError) as err:
                log.error("alert email not sent", alert_id=change.alert.alert_id, error=repr(err))
