"""One customer's profile from their records: figures, health, stage, RFM, CLV and tags."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from models.profiles import Clv, HealthScore, ProfileConfig, RfmCell, TagValue
from profiles.clv import ClvModel, customer_value
from profiles.features import Features, ProfileInputs, features
from profiles.health import health_score
from profiles.lifecycle import Stage, lifecycle_stage
from profiles.rfm import RfmEdges, rfm_cell
from profiles.tags import TAGS, TagDefinition, evaluate_tags


class ComputedProfile(BaseModel):
    figures: Features
    health: HealthScore
    stage: Stage
    rfm: RfmCell | None
    clv: Clv | None
    tags: dict[str, TagValue]


def compute_profile(
    inputs: ProfileInputs,
    config: ProfileConfig,
    edges: RfmEdges | None,
    clv_model: ClvModel,
    now: datetime,
    tags: tuple[TagDefinition, ...] = TAGS,
) -> ComputedProfile:
    figures = features(inputs, now)
    health = health_score(figures, config)
    stage = lifecycle_stage(figures, health.score, config.lifecycle)
    rfm = rfm_cell(figures, edges)
    clv = None
    if figures.orders_total and figures.days_since_first_order is not None:
        clv = customer_value(
            clv_model,
            x=figures.order_days - 1,
            t_x=figures.days_first_to_last_order or 0,
            big_t=figures.days_since_first_order,
            mean_repeat_value=figures.mean_repeat_order_value,
        )
    named: dict[str, Any] = {
        **figures.model_dump(),
        "complaint_signals_180d": figures.complaints_180d + figures.negative_tickets_180d,
        "health_score": health.score,
        "lifecycle_stage": stage.value,
        "rfm_cell": rfm.cell if rfm else None,
        "rfm_top20": rfm.top20 if rfm else None,
        "probability_alive": clv.probability_alive if clv else None,
        "clv_365d": clv.value_365d if clv else None,
    }
    return ComputedProfile(
        figures=figures,
        health=health,
        stage=stage,
        rfm=rfm,
        clv=clv,
        tags=evaluate_tags(named, tags),
    )
