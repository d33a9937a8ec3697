"""The picks step of a send: which messages carry recommendations, choosing them for the
decided message, recording them, and handing them to the copy with their live facts.

It runs right after the decision transaction, for a pending message whose copy is still to
write: reads (what this message recorded already, the customer's events, then `picks_for`: the
opt-out and the last 48 hours' picks in one read, the neighbour lists in another, then the live
catalog), and one short transaction that records the picks (`record_picks`). The catalog is
called outside the decision's customer lock and outside any write. A retried send first forgets
what an earlier attempt of the same message recorded, then picks again with the same seed (the
message id), so the record is the message's and the 48-hour rule does not hide the message's
own picks from itself.
"""

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog import CatalogClient
from catalog.models import ProductSnapshot
from content import RecommendedPick
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
from recommendations.signals import customer_history, skus_in
from recommendations.tables import DecodedLists
from storage.recommendations import forget_message_picks, recommended_in_message

# The messages that carry picks (PRODUCT.md): browse abandonment, post-support with product
# retargeting, cross-sell and welcome. Not the cold customers' support guidance, which comes
# alone, nor early access, which is about new arrivals.
PICK_TEMPLATES = frozenset({"browse_abandonment", "post_support", "cross_sell", "welcome"})
NO_PICK_STEPS = frozenset({"guidance", "early_access"})
PICKS_PER_MESSAGE = 4
MIN_PICKS = 2  # fewer left after the exclusions and the stock check: the message shows none


def carries_picks(request: PrepareMessage) -> bool:
    return request.step.template in PICK_TEMPLATES and request.step.id not in NO_PICK_STEPS


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

    async def choose(self, request: PrepareMessage, decision: MessageDecision) -> Picks | None:
        """The message's picks, recorded under its id; None for a message without picks."""
        if not carries_picks(request):
            return None
        now, journey = request.decided_at, request.journey
        # Reads only until the record: on SQLite a write would hold the database's write lock
        # through the catalog calls.
        async with self._sessions() as session:
            retried = await recommended_in_message(session, decision.message_id)
        if retried:
            async with self._sessions.begin() as session:
                await forget_message_picks(session, decision.message_id)
        async with self._sessions() as session:
            history = await customer_history(session, request.customer_id, now)
            picks = await picks_for(
                session,
                PickRequest(
                    request.customer_id,
                    history,
                    seed=decision.message_id,
                    now=now,
                    objective=objective_for(journey),
                    k=PICKS_PER_MESSAGE,
                    # the products the message is already about (the item viewed, the cart's)
                    exclude=frozenset(skus_in(request.trigger_event.properties)),
                    bundle_offer=bundle_offer_for(self._offers, journey, now),
                ),
                live=self._catalog,
                decoded=self._decoded,
            )
        if len(picks.picks) < MIN_PICKS:
            return replace(picks, picks=[])
        async with self._sessions.begin() as session:
            await record_picks(session, decision.message_id, request.customer_id, picks, now)
        return picks

    async def for_copy(self, picks: Picks | None) -> tuple[list[RecommendedPick], bool]:
        """The picks as the copy shows them: names and currency from the live catalog (the
        model's product type when it does not know one), and whether they are personal."""
        if picks is None or not picks.picks:
            return [], picks.personalised if picks else True
        anchors = [str(s.pick.figures["anchor"]) for s in picks.picks if "anchor" in s.pick.figures]
        skus = [s.pick.product_id for s in picks.picks]
        facts = await self._catalog.get_many([*skus, *anchors]) if self._catalog else {}
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


def _name(snapshot: ProductSnapshot | None, otherwise: str) -> str:
    if snapshot is not None and snapshot.name:
        return snapshot.name
    return otherwise.capitalize()


def _currency(snapshot: ProductSnapshot | None) -> str:
    return snapshot.currency if snapshot is not None and snapshot.known else "CNY"
