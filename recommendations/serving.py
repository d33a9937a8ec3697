"""`picks_for`: a message's recommendations, read from the active model in one query, ranked for
the journey's objective, re-checked against the live catalog, and recorded per message so that
no item reaches the same customer twice within 48 hours on any channel.

The send path calls `picks_for` right after its decision transaction and `record_picks` with the
message id; the API calls `picks_for` to preview (nothing recorded). Without a history of its
own, `picks_for` reads the customer's product events in its one lookup round trip.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import Availability, ProductSnapshot
from models.benefits import BenefitKind
from offers.catalogue import Offer, OfferCatalogue
from recommendations.history import Purchase
from recommendations.model import BUNDLE_PREFIX, POPULAR, ItemInfo, ModelSlice, bundle_source
from recommendations.picks import DEFAULT_RULES, Objective, Pick, PickRules, choose_picks
from recommendations.ranker import Candidate, Kind, Reason, score_new_items
from recommendations.signals import BUNDLE_OFFER_PREFIX, HISTORY, PRODUCT_EVENTS, history_from
from recommendations.tables import DecodedLists, read_slice
from storage import recommendations as store

NO_REPEAT = timedelta(hours=48)
CANDIDATES = 100  # ranked candidates handed to the pick rules
# A stand-in for an out-of-stock pick costs at most this many times its price, or at least its
# price divided by this, before any other (the reference prices of the training baskets).
PRICE_BAND = 1.5

# What each journey's picks are for (PRODUCT.md); any other journey ranks for add-to-cart.
JOURNEY_OBJECTIVES = {
    "browse_abandonment": Objective.RELATED,  # PRODUCT.md: "related recommendations"
    "post_support": Objective.ADD_TO_CART,
    "welcome": Objective.ADD_TO_CART,
    "cross_sell": Objective.CROSS_PURCHASE,
    "winback": Objective.NOVELTY,
}


def objective_for(journey: str) -> Objective:
    return JOURNEY_OBJECTIVES.get(journey, Objective.ADD_TO_CART)


def bundle_offer_for(catalogue: OfferCatalogue, journey: str, now: datetime) -> Offer | None:
    """The bundle offer the journey may use now (the offer catalogue prices every bundle)."""
    for offer in catalogue.offers:
        if (
            offer.offer_id.startswith(BUNDLE_OFFER_PREFIX)
            and journey in offer.journeys
            and offer.is_valid_at(now)
        ):
            return offer
    return None


class LiveFacts(Protocol):
    """The live catalog (catalog.CatalogClient): price and stock now."""

    async def get_many(
        self, skus: Sequence[str], *, fresh: bool = False
    ) -> dict[str, ProductSnapshot]: ...


@dataclass(frozen=True)
class PickRequest:
    customer_id: str
    # Categories may be blank: the model's own rows fill them. None: the customer's product
    # events, read with the lookup.
    history: Sequence[Purchase] | None
    seed: str  # the message id: a retried send picks the same items
    now: datetime
    objective: Objective = Objective.ADD_TO_CART
    k: int = 4
    exclude: frozenset[str] = frozenset()  # e.g. the items the message is already about
    bundle_offer: Offer | None = None  # the offer that prices a bundle; None: no bundle
    message_id: str = ""  # its own earlier record (a retried send) is no repeat
    # False: the popular list and nothing personal, whatever the customer's preference (an
    # experiment's popular arm, measuring what personal picks add).
    personal: bool = True


@dataclass(frozen=True)
class ServedPick:
    pick: Pick
    price: Decimal | None  # live price; None when the catalog could not say
    availability: Availability
    bundle_price: Decimal | None = None  # main item + complement under the bundle offer


@dataclass(frozen=True)
class Picks:
    model_version: str | None  # None: no model loaded, no picks
    personalised: bool
    picks: list[ServedPick]
    # The live catalog's snapshots the check read (the picks, bundles' main items): the copy
    # takes names and currencies from them without asking the catalog again.
    facts: Mapping[str, ProductSnapshot] = field(default_factory=dict)


async def picks_for(
    session: AsyncSession,
    request: PickRequest,
    live: LiveFacts | None = None,
    rules: PickRules = DEFAULT_RULES,
    decoded: DecodedLists | None = None,
) -> Picks:
    """Up to `k` picks with kind and reason; none is out of stock, recent or in `exclude`."""
    state = await store.lookup_state(
        session,
        request.customer_id,
        request.now - NO_REPEAT,
        request.message_id,
        events=(request.now - HISTORY, PRODUCT_EVENTS)
        if request.history is None and request.personal
        else None,
    )
    personalised = state.personalised and request.personal
    recent, active = state.recent, state.active
    if not personalised:
        history = []
    elif request.history is None:
        # The lookup's event rows: the properties as JSON text, the time (state.events).
        history = history_from((json.loads(row.version), row.loaded_at) for row in state.events)
    else:
        history = list(request.history)
    bought = list(dict.fromkeys(p.product_id for p in history))
    bundles = [bundle_source(pid) for pid in bought] if request.bundle_offer else []
    # A related pick is bought with an item the message is about (the product viewed).
    focus = sorted(request.exclude) if request.objective is Objective.RELATED else []
    model = await read_slice(
        session, active, list(dict.fromkeys([*bought, *focus])), [POPULAR, *bundles], decoded
    )
    if model is None:
        return Picks(None, personalised, [])
    history = _with_facts(history, model)
    candidates = score_new_items(
        model, history, personalised=personalised, limit=CANDIDATES, focus=focus
    )
    candidates += _restock(model, history, request.now)
    candidates.sort(key=lambda c: (-c.score, c.product_id))
    exclude = recent | request.exclude
    bundle = _bundle(model, bought, exclude, request.bundle_offer)
    k = request.k - (bundle is not None)
    chosen = choose_picks(
        candidates,
        k,
        objective=request.objective,
        seed=request.seed,
        exclude=exclude | ({bundle.product_id} if bundle else set()),
        categories={p.category for p in history},
        rules=rules,
    )
    picks = [bundle, *chosen] if bundle else chosen
    served, facts = await _live_check(picks, candidates, exclude, live, request.bundle_offer)
    return Picks(model.version, personalised, served, facts)


async def record_picks(
    session: AsyncSession,
    message_id: str,
    customer_id: str,
    picks: Picks,
    now: datetime,
    *,
    replacing: bool = False,
) -> None:
    """Remember what `message_id` recommended (the 48-hour rule reads it); idempotent.
    `replacing`: an earlier attempt of the message may have recorded other picks, forgotten
    first (in the caller's transaction)."""
    if replacing:
        await store.forget_message_picks(session, message_id)
    await store.record_recommended(
        session,
        [
            {
                "message_id": message_id,
                "product_id": served.pick.product_id,
                "customer_id": customer_id,
                "rank": served.pick.rank,
                "kind": served.pick.kind.value,
                "reason_code": served.pick.reason.value,
                "explored": served.pick.explored,
                "model_version": picks.model_version or "",
                "recommended_at": now,
            }
            for served in picks.picks
        ],
    )


def _with_facts(history: list[Purchase], model: ModelSlice) -> list[Purchase]:
    """The history with each known item's category and family from the model's own rows."""
    filled = []
    for purchase in history:
        product_id = purchase.product_id
        info = model.items.get(product_id)
        if info is not None:
            purchase = Purchase(product_id, info.category, info.family, purchase.bought_at)
        filled.append(purchase)
    return filled


def _restock(model: ModelSlice, history: list[Purchase], now: datetime) -> list[Candidate]:
    """Consumables the customer bought whose repurchase cycle has come round again."""
    last: dict[str, datetime] = {}
    for purchase in history:
        if purchase.bought_at is not None:
            seen = last.get(purchase.product_id)
            last[purchase.product_id] = (
                max(seen, purchase.bought_at) if seen else purchase.bought_at
            )
    due = []
    for product_id, bought_at in last.items():
        info = model.items.get(product_id)
        if info is None or info.cycle_days is None:
            continue
        days = (now - bought_at).days
        if days >= info.cycle_days:
            due.append(
                Candidate(
                    product_id,
                    info.popularity * 2.0,
                    Kind.RESTOCK,
                    Reason.TIME_TO_RESTOCK,
                    {"days_since": days, "cycle_days": round(info.cycle_days)},
                    info,
                )
            )
    return due


def _bundle(
    model: ModelSlice, bought: list[str], exclude: set[str], offer: Offer | None
) -> Pick | None:
    """The strongest bundle on the customer's items: their main item with its complement."""
    if offer is None:
        return None
    options = [
        link
        for pid in bought
        for link in model.links.get(bundle_source(pid), ())
        if link.target not in exclude and link.target not in bought
    ]
    if not options:
        return None
    best = max(options, key=lambda link: (link.share, link.target))
    main = best.source.removeprefix(BUNDLE_PREFIX)
    info = model.items[best.target]
    return Pick(
        1,
        best.target,
        Kind.BUNDLE,
        Reason.BUNDLE_OFFER,
        {"anchor": main, "share": round(best.share, 3), "offer_id": offer.offer_id},
        info.category,
        info.family,
        info.price,
        offer_id=offer.offer_id,
    )


async def _live_check(
    picks: list[Pick],
    candidates: list[Candidate],
    exclude: set[str],
    live: LiveFacts | None,
    offer: Offer | None,
) -> tuple[list[ServedPick], dict[str, ProductSnapshot]]:
    """Live price and stock for every pick; an out-of-stock (or free) pick gives way to an
    in-stock item of its family (else its category), never shown itself. Without a catalog, no
    figures. Also the snapshots read, by SKU."""
    if live is None:
        return [ServedPick(p, None, Availability.UNKNOWN) for p in _renumber(picks)], {}
    bundle_mains = [str(p.figures["anchor"]) for p in picks if p.kind is Kind.BUNDLE]
    facts = await live.get_many([p.product_id for p in picks] + bundle_mains, fresh=True)
    taken = {p.product_id for p in picks} | exclude
    kept: list[tuple[Pick, ProductSnapshot]] = []
    for pick in picks:
        snapshot = facts[pick.product_id]
        if not _for_sale(snapshot):
            found = await _substitute(pick, candidates, taken, live)
            if found is None:
                continue
            pick, snapshot = found
            taken.add(pick.product_id)
            facts[pick.product_id] = snapshot
        kept.append((pick, snapshot))
    served = []
    for pick, snapshot in kept:
        bundle_price = None
        if pick.kind is Kind.BUNDLE and offer is not None:
            bundle_price = _bundle_price(facts[str(pick.figures["anchor"])], snapshot, offer)
        served.append(ServedPick(pick, snapshot.price, snapshot.availability, bundle_price))
    renumbered = _renumber([s.pick for s in served])
    return [replace(s, pick=p) for s, p in zip(served, renumbered, strict=True)], facts


async def _substitute(
    pick: Pick, candidates: list[Candidate], taken: set[str], live: LiveFacts
) -> tuple[Pick, ProductSnapshot] | None:
    """An in-stock stand-in for an out-of-stock pick: of its family, else its category, those in
    its price band first (the same need at about the same price), each the best ranked first."""
    same_family = [c for c in candidates if c.info.family == pick.family]
    same_category = [
        c for c in candidates if c.info.category == pick.category and c.info.family != pick.family
    ]
    options = sorted(
        [*same_family, *same_category],
        key=lambda c: not _in_price_band(c.info.price, pick.reference_price),
    )
    for option in options[:6]:
        if option.product_id in taken:
            continue
        snapshot = (await live.get_many([option.product_id], fresh=True))[option.product_id]
        in_stock = snapshot.availability in (Availability.IN_STOCK, Availability.LOW_STOCK)
        if in_stock and _for_sale(snapshot):
            return _as_substitute(pick, option.info), snapshot
    return None


def _in_price_band(price: float, reference: float) -> bool:
    """Within PRICE_BAND times the reference price either way (no reference: any price)."""
    if reference <= 0:
        return True
    return reference / PRICE_BAND <= price <= reference * PRICE_BAND


def _for_sale(snapshot: ProductSnapshot) -> bool:
    """Out of stock, or priced at nothing (a giveaway or a catalog error; the demo catalogue
    has products only ever given away): not a pick to show."""
    free = snapshot.price is not None and snapshot.price <= 0
    return snapshot.availability is not Availability.OUT_OF_STOCK and not free


def _as_substitute(original: Pick, info: ItemInfo) -> Pick:
    return Pick(
        original.rank,
        info.product_id,
        Kind.SUBSTITUTE,
        Reason.IN_STOCK_ALTERNATIVE,
        {"replaces": original.product_id},
        info.category,
        info.family,
        info.price,
        original.explored,
    )


def _bundle_price(
    main: ProductSnapshot, complement: ProductSnapshot, offer: Offer
) -> Decimal | None:
    """Both live prices under the offer's benefit; the model never sets a price."""
    if main.price is None or complement.price is None or offer.benefit_value is None:
        return None
    match offer.benefit:
        case BenefitKind.PERCENT_OFF:
            discounted = complement.price * (100 - offer.benefit_value) / 100
            return (main.price + discounted).quantize(Decimal("0.01"))
        case BenefitKind.AMOUNT_OFF:
            return max(Decimal(0), main.price + complement.price - offer.benefit_value)
    return None


def _renumber(picks: list[Pick]) -> list[Pick]:
    return [replace(p, rank=rank) for rank, p in enumerate(picks, start=1)]
