"""The customer profile: one customer's view, the tag library, the configuration the business
tunes (docs/profile.md)."""

from fastapi import APIRouter
from pydantic import BaseModel

from api.audit import AuditorDep
from api.auth import CUSTOMERS_READ, OperatorDep
from api.deps import SessionsDep, utcnow
from api.errors import ApiError, error_responses
from models.events import Identifier
from models.profiles import (
    Clv,
    HealthPart,
    HealthScore,
    IdentifierKind,
    IdentityView,
    MergeView,
    ProfileConfigChange,
    ProfileConfigVersion,
    ProfileView,
    RfmCell,
    TagView,
)
from profiles.tags import TAGS, TAGS_BY_NAME
from storage.customers import get_customer
from storage.identity import identities_of, merges_of
from storage.profiles import (
    config_history,
    current_config,
    customer_tags,
    queued,
    save_config,
    scores_of,
    tag_counts,
)

router = APIRouter(prefix="/v1", tags=["profile"])


@router.get(
    "/customers/{customer_id}/profile",
    summary="A customer's profile: identities (kinds only), tags with causes, health, stage, "
    "RFM, CLV",
    responses=error_responses(404),
    dependencies=[CUSTOMERS_READ],
)
async def read_profile(customer_id: Identifier, sessions: SessionsDep) -> ProfileView:
    async with sessions() as session:
        customer = await get_customer(session, customer_id)
        identities = await identities_of(session, customer_id)
        merges = await merges_of(session, customer_id)
        tags = await customer_tags(session, customer_id)
        scores = await scores_of(session, customer_id)
        pending = await queued(session, customer_id)
    if customer is None and not (identities or tags or scores or pending):
        raise ApiError(404, "unknown customer", field="customer_id")
    return ProfileView(
        customer_id=customer_id,
        identities=[
            IdentityView(
                kind=IdentifierKind(row.kind),
                verified=row.verified,
                linked_at=row.linked_at,
                source=row.source,
            )
            for row in identities
        ],
        merges=[
            MergeView(
                merged_id=row.merged_id,
                into_id=row.into_id,
                outcome=row.outcome,
                reason=row.reason,
                source=row.source,
                at=row.at,
            )
            for row in merges
        ],
        tags=[
            TagView(
                tag=row.tag,
                dimension=TAGS_BY_NAME[row.tag].dimension if row.tag in TAGS_BY_NAME else "",
                value=row.value,
                version=row.version,
                cause=row.cause,
                changed_at=row.changed_at,
            )
            for row in tags
        ],
        health=HealthScore(
            score=scores.health_score,
            parts=[HealthPart.model_validate(part) for part in scores.health_parts],
        )
        if scores
        else None,
        stage=scores.stage if scores else None,
        rfm=RfmCell.model_validate(scores.rfm) if scores and scores.rfm else None,
        clv=Clv.model_validate(scores.clv) if scores and scores.clv else None,
        computed_at=scores.computed_at if scores else None,
        pending_update=pending,
    )


class TagListing(BaseModel):
    name: str
    dimension: str
    description: str
    rule: str
    refresh: str
    version: int
    holders: int


@router.get(
    "/tags",
    summary="The tag library, with how many customers hold each tag",
    dependencies=[CUSTOMERS_READ],
)
async def list_tags(sessions: SessionsDep) -> list[TagListing]:
    async with sessions() as session:
        counts = await tag_counts(session)
    return [
        TagListing(
            name=tag.name,
            dimension=tag.dimension,
            description=tag.description,
            rule=tag.rule(),
            refresh=tag.refresh,
            version=tag.version,
            holders=counts.get(tag.name, 0),
        )
        for tag in TAGS
    ]


@router.get(
    "/profile/config",
    summary="The health and lifecycle configuration in force",
    dependencies=[CUSTOMERS_READ],
)
async def read_config(sessions: SessionsDep) -> ProfileConfigVersion:
    async with sessions() as session:
        return await current_config(session)


@router.get(
    "/profile/config/history",
    summary="Every version of the configuration, newest first",
    dependencies=[CUSTOMERS_READ],
)
async def read_config_history(sessions: SessionsDep) -> list[ProfileConfigVersion]:
    async with sessions() as session:
        return await config_history(session)


@router.put(
    "/profile/config",
    summary="Change the health weights and thresholds and the lifecycle rules (validated, "
    "versioned, audited); applies to every profile computed from now on",
)
async def put_config(
    change: ProfileConfigChange, sessions: SessionsDep, principal: OperatorDep, audit: AuditorDep
) -> ProfileConfigVersion:
    async with audit("profile.config", None) as entry:
        entry.detail = {"reason": change.reason}
        async with sessions.begin() as session:
            saved = await save_config(
                session, change.config, f"key:{principal.name}", change.reason, utcnow()
            )
        entry.outcome = f"version {saved.version}"
        return saved
