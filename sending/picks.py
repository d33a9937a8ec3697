"""The picks step of a send: for a message that carries recommendations (the step says so,
`Send.carries_picks`), choosing them for the decided message, recording them, and handing them
to the copy with their live facts.

It runs right after the decision transaction, for a pending message whose copy is still to
write: `picks_for` reads the opt-out, the last 48 hours' picks, the active model and the
customer's product events in one round trip and the neighbour lists the worker has not decoded
yet in another, then calls the live catalog; one short transaction records the picks
(`record_picks`). The catalog is called outside the decision's customer lock and outside any
write. A retried send picks again with the same seed (the message id), its own earlier record
not counting as a repeat, and its record replaces that one in the same transaction; a message
decided in this very attempt has no record yet and skips that DELETE.
"""

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog import CatalogClient
from catalog.models import ProductSnapshot
from content import RecommendedPick
from experiments.assignment import sent_arm
from experiments.definitions import PickSource
from journeys.runs import PrepareMessage
from models.messages import MessageDecision
from offers.catalogue import OfferCatalogue
from recommendations.serving import (
    PickRequest,
    Picks,
    bundle_offer_for,
    objective_for,
    picks_for,
    record_picks,
)
from recommendations.signals import skus_in
from recommendations.tables import DecodedLists

PICKS_PER_MESSAGE = 4
MIN_PICKS = 2  # fewer left after the exclusions and the stock check: the message shows none


class PickStep:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        catalog: CatalogClient | None,
        offers: OfferCatalogue,
    ) -> None:
        self._sessions = sessions
        self._catalog = catalog
        self._offers = offers
        self._decoded = DecodedLists()  # one per worker: a list is decoded once per version

    async def choose(
        self, request: PrepareMessage, decision: MessageDecision, *, first: bool = False
    ) -> Picks | None:
        """The message's picks, recorded under its id; None for a message without picks.
        `first`: the message was decided in this attempt, so nothing is recorded for it yet."""
        if not request.step.carries_picks:
            return None
        now, journey = request.decided_at, request.journey
        # Reads only until the record: on SQLite a write would hold the database's write lock
        # through the catalog calls.
        async with self._sessions() as session:
            picks = await picks_for(
                session,
                PickRequest(
                    request.customer_id,
                    None,  # the customer's events, read with the lookup
                    seed=decision.message_id,
                    now=now,
                    objective=objective_for(journey),
                    k=PICKS_PER_MESSAGE,
                    # the products the message is already about (the item viewed, the cart's)
                    exclude=frozenset(skus_in(request.trigger_event.properties)),
                    bundle_offer=bundle_offer_for(self._offers, journey, now),
                    message_id=decision.message_id,
                    personal=_personal(request, decision),
                ),
                live=self._catalog,
                decoded=self._decoded,
            )
        if len(picks.picks) < MIN_PICKS:
            picks = replace(picks, picks=[])
        if picks.picks or not first:
            async with self._sessions.begin() as session:
                await record_picks(
                    session,
                    decision.message_id,
                    request.customer_id,
                    picks,
                    now,
                    replacing=not first,
                )
        return picks

    async def for_copy(self, picks: Picks | None) -> tuple[list[RecommendedPick], bool]:
        """The picks as the copy shows them: names and currency from the live catalog (the
        model's product type when it does not know one), and whether they are personal. The
        picks' own snapshots come from their live check; only the items a reason names (its
        anchor) are asked for."""
        if picks is None or not picks.picks:
            return [], picks.personalised if picks else True
        anchors = [str(s.pick.figures["anchor"]) for s in picks.picks if "anchor" in s.pick.figures]
        facts = dict(picks.facts)
        missing = [sku for sku in anchors if sku not in facts]
        if missing and self._catalog is not None:
            facts |= await self._catalog.get_many(missing)
        shown = []
        for served in picks.picks:
            pick = served.pick
            anchor = pick.figures.get("anchor")
            shown.append(
                RecommendedPick(
                    product_id=pick.product_id,
                    name=_name(facts.get(pick.product_id), pick.family or pick.product_id),
                    price=served.price,
                    currency=_currency(facts.get(pick.product_id)),
                    kind=pick.kind.value,
                    reason_code=pick.reason.value,
                    figures=pick.figures,
                    anchor_name=_name(facts.get(str(anchor)), str(anchor)) if anchor else None,
                    bundle_price=served.bundle_price,
                )
            )
        return shown, picks.personalised


def _personal(request: PrepareMessage, decision: MessageDecision) -> bool:
    """False when the message's experiment arm shows the popular list instead."""
    arm = sent_arm(request.step.experiment, decision.arm_id)
    return arm is None or arm.picks is not PickSource.POPULAR


def _name(snapshot: ProductSnapshot | None, otherwise: str) -> str:
    if snapshot is not None and snapshot.name:
        return snapshot.name
    return otherwise.capitalize()


def _currency(snapshot: ProductSnapshot | None) -> str:
    return snapshot.currency if snapshot is not None and snapshot.known else "CNY"
