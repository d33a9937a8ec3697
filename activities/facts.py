"""The journey's view of its customer: branch facts, and whether the customer may enter."""

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from dormancy.settings import DormancySettings
from journeys.entry import enter_journey
from journeys.facts import CustomerFacts
from journeys.facts_from_events import customer_facts
from journeys.runs import (
    Admission,
    AdmissionRequest,
    EntryDecision,
    EntryRequest,
    FactsRequest,
)
from scoring.model import IntentModel
from scoring.settings import ScoringSettings
from storage.behaviour import behaviour
from storage.customers import get_customer
from storage.profiles import scores_of, tags_of

log = structlog.get_logger()


class JourneyFactsActivities:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        reads: async_sessionmaker[AsyncSession],
        intent_model: IntentModel | None,
        scoring: ScoringSettings,
        dormancy: DormancySettings,
    ) -> None:
        self._sessions = sessions
        self._reads = reads
        self._model = intent_model
        self._scoring = scoring
        self._dormancy = dormancy

    @activity.defn
    async def customer_facts(self, request: FactsRequest) -> CustomerFacts:
        async with self._reads() as session:
            customer = await get_customer(session, request.customer_id)
            events, orders = await behaviour(session, request.customer_id, request.now)
            # The profile's tags and health as last computed (RFM top 20 % among them).
            tags = (await tags_of(session, [request.customer_id])).get(request.customer_id, {})
            scores = await scores_of(session, request.customer_id)
        facts = customer_facts(
            customer,
            events,
            orders,
            request.now,
            model=self._model,
            scoring=self._scoring,
            dormancy=self._dormancy,
            tags=tags,
            health_score=scores.health_score if scores else None,
            trigger=request.trigger,
            send_window=request.send_window,
            attributes=request.attributes,
        )
        log.info(
            "customer facts",
            customer_id=request.customer_id,
            segment=facts.segment,
            intent_source=facts.intent_source,
            dormancy_tier=facts.dormancy_tier,
            rfm_top20=facts.rfm_top20,
        )
        return facts

    @activity.defn
    async def enter_journey(self, request: EntryRequest) -> EntryDecision:
        decision = await enter_journey(self._sessions, request)
        log.info(
            "journey entry",
            workflow_id=request.workflow_id,
            customer_id=request.customer_id,
            allowed=decision.allowed,
            reason=decision.reason,
        )
        return decision

    @activity.defn
    async def admit(self, request: AdmissionRequest) -> Admission:
        """The entry rule, then the facts of a customer let in: a new run's first read, in one
        local activity (runs from before the interpreter's fourth version took two). A retry
        finds its entry recorded (storage.journey_entries.enter_journey) and reads again."""
        entry = await self.enter_journey(request.entry)
        facts = await self.customer_facts(request.facts) if entry.allowed else None
        return Admission(entry=entry, facts=facts)
