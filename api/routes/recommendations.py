"""A customer's recommendations as a journey's message would get them, and their opt-out."""

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.auth import CUSTOMERS_READ, CUSTOMERS_WRITE
from api.deps import SessionsDep, SettingsDep, utcnow
from api.errors import ApiError, error_responses
from catalog.models import Availability
from journeys.registry import journey_by_kind
from models.events import Identifier
from offers.catalogue import load_catalogue
from recommendations.picks import Objective
from recommendations.serving import PickRequest, bundle_offer_for, objective_for, picks_for
from recommendations.signals import customer_history
from storage.customers import get_customer
from storage.recommendations import personalised, set_personalised

router = APIRouter(prefix="/v1/customers", tags=["recommendations"])


class PickView(BaseModel):
    rank: int
    product_id: str
    kind: str = Field(description="complement, substitute, bundle, popular or restock")
    reason_code: str = Field(
        description="bought_with, in_your_category, popular, in_stock_alternative, "
        "time_to_restock or bundle_offer"
    )
    figures: dict[str, str | float | int] = Field(
        description="what the reason rests on, e.g. anchor and share of the anchor's buyers"
    )
    explored: bool = Field(description="an exploration slot: an item the ranker is unsure of")
    category: str
    product_type: str
    reference_price: float = Field(description="unit price in the training baskets")
    price: Decimal | None = Field(None, description="live price; null without a live catalog")
    availability: Availability
    offer_id: str | None = None
    bundle_price: Decimal | None = None


class RecommendationsView(BaseModel):
    customer_id: str
    journey: str
    objective: Objective
    personalised: bool = Field(description="false: the customer switched personalisation off")
    model_version: str | None = Field(description="null: no model loaded (no picks)")
    picks: list[PickView]


class RecommendationPreference(BaseModel):
    personalised: bool = Field(description="false: popular items only, nothing personal")


JourneyName = Annotated[str, Query(description="journey kind, e.g. cross_sell")]


@router.get(
    "/{customer_id}/recommendations",
    summary="The picks a journey's next message would carry, with kinds and reasons (preview: "
    "nothing is recorded)",
    responses=error_responses(404, 422),
    dependencies=[CUSTOMERS_READ],
)
async def read_recommendations(
    customer_id: Identifier,
    journey: JourneyName,
    sessions: SessionsDep,
    settings: SettingsDep,
    k: Annotated[int, Query(ge=1, le=20)] = 4,
) -> RecommendationsView:
    if journey_by_kind(journey) is None:
        raise ApiError(422, f"unknown journey {journey!r}", field="journey")
    now = utcnow()
    async with sessions() as session:
        if await get_customer(session, customer_id) is None:
            raise ApiError(404, "unknown customer", field="customer_id")
        history = await customer_history(session, customer_id, now)
        catalogue = load_catalogue(settings.offers.catalogue_path)
        request = PickRequest(
            customer_id,
            history,
            seed=f"preview:{customer_id}:{journey}:{now.date().isoformat()}",
            now=now,
            objective=objective_for(journey),
            k=k,
            bundle_offer=bundle_offer_for(catalogue, journey, now),
        )
        result = await picks_for(session, request)
    return RecommendationsView(
        customer_id=customer_id,
        journey=journey,
        objective=request.objective,
        personalised=result.personalised,
        model_version=result.model_version,
        picks=[
            PickView(
                rank=s.pick.rank,
                product_id=s.pick.product_id,
                kind=s.pick.kind.value,
                reason_code=s.pick.reason.value,
                figures=s.pick.figures,
                explored=s.pick.explored,
                category=s.pick.category,
                product_type=s.pick.family,
                reference_price=s.pick.reference_price,
                price=s.price,
                availability=s.availability,
                offer_id=s.pick.offer_id,
                bundle_price=s.bundle_price,
            )
            for s in result.picks
        ],
    )


@router.put(
    "/{customer_id}/recommendations/preference",
    summary="Switch personalised recommendations on or off for the customer",
    responses=error_responses(404),
    dependencies=[CUSTOMERS_WRITE],
)
async def put_preference(
    customer_id: Identifier, preference: RecommendationPreference, sessions: SessionsDep
) -> RecommendationPreference:
    async with sessions.begin() as session:
        if await get_customer(session, customer_id) is None:
            raise ApiError(404, "unknown customer", field="customer_id")
        await set_personalised(session, customer_id, preference.personalised, utcnow())
    async with sessions() as session:
        return RecommendationPreference(personalised=await personalised(session, customer_id))
