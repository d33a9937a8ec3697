"""One send, decided and delivered: the decision point, the picks (for a message that carries
recommendations), then the copy, then the channel.

A send costs two commits in the common case: the decision (lock, history, ledger row), then the
delivery, which writes the copy with it (for the dev outbox, the outbox row, the copy, the
settled row and the attempt in one transaction). A message with picks adds a read and one
transaction between them (sending/picks.py). A retry finds the recorded decision and resumes
the delivery from the ledger row, so nothing reaches a customer twice.
"""

from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from journeys.runs import DeliverMessage, PrepareMessage
from models.channels import Channel
from models.customers import Customer
from models.messages import MessageDecision, MessageStatus
from sending.copy import Copywriter
from sending.decision import Decided, DecisionPoint
from sending.delivery import Delivery, Parcel
from sending.picks import PickStep
from storage.customers import get_customer
from storage.database import autocommit
from storage.ledger import StoredCopy, set_content


class SendPath:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        decisions: DecisionPoint,
        copywriter: Copywriter,
        delivery: Delivery,
        picks: PickStep,
    ) -> None:
        self._sessions = sessions
        self.picks = picks
        self._single_statements = autocommit(sessions)
        self.decisions = decisions
        self.copywriter = copywriter
        self.delivery = delivery

    async def send(self, request: PrepareMessage) -> MessageDecision:
        """Decide; deliver a pending decision at once. Returns the delivered (or failed)
        decision, or a deferred or suppressed one as it is."""
        decided = await self.decisions.decide(request)
        if decided.decision.status != MessageStatus.PENDING:
            return decided.decision
        return await self.delivery.deliver(await self._parcel(request, decided))

    async def prepare(self, request: PrepareMessage) -> MessageDecision:
        """Decide, and write a pending decision's copy on its ledger row, for a delivery of its
        own later (runs from before the interpreter's third version)."""
        decided = await self.decisions.decide(request)
        decision = decided.decision
        if decision.status != MessageStatus.PENDING or decision.content is not None:
            return decision
        parcel = await self._parcel(request, decided)
        assert parcel.copy is not None
        await set_content(self._single_statements, decision.message_id, parcel.copy)
        return decision.model_copy(update=parcel.copy.on_decision())

    async def deliver(self, request: DeliverMessage) -> MessageDecision:
        """Deliver a message decided (with its copy) by `prepare`."""
        return await self.delivery.deliver_recorded(request.message_id, request.fallback_channels)

    async def _parcel(self, request: PrepareMessage, decided: Decided) -> Parcel:
        """The pending decision with its copy, written now unless an earlier attempt wrote it."""
        decision, customer = decided.decision, decided.customer
        copy = None
        if decision.content is None:
            if customer is None:  # a concurrent attempt recorded the decision: read them now
                async with self._sessions() as session:
                    customer = await get_customer(session, decision.customer_id)
            if customer is not None:
                # Right after the decision, outside its lock: the picks call the live catalog.
                copy = await self._write(request, decision, customer, first=decided.fresh)
        rewrite = partial(self._rewrite, request, decision)
        return Parcel(decision, copy, customer, request.coupon_id, rewrite=rewrite)

    async def _write(
        self,
        request: PrepareMessage,
        decision: MessageDecision,
        customer: Customer,
        first: bool = False,
    ) -> StoredCopy:
        """The copy, with the message's picks when its step carries them (`first`: the message
        was decided by this attempt, no picks are recorded for it yet)."""
        picks = await self.picks.choose(request, decision, first=first)
        shown, personalised = await self.picks.for_copy(picks)
        return await self.copywriter.write(request, decision, customer, shown, personalised)

    async def _rewrite(
        self,
        request: PrepareMessage,
        decision: MessageDecision,
        channel: Channel,
        customer: Customer,
    ) -> StoredCopy:
        """The send's copy for the channel a failover moved it to: written for that channel,
        with the same picks (the same seed picks them again, and they are recorded once)."""
        moved = decision.model_copy(update={"channel": channel})
        return await self._write(request, moved, customer)
