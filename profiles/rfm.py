"""RFM cells: recency, frequency and monetary scores 1-5 over the last year's buyers.

The hourly batch computes the quintile edges of the three figures over every customer with a
paid order in the last 365 days (`rfm_edges`); a customer's cell is their own figures against
those edges, so the batch and a single customer's update agree by construction. Monetary 5 is
the top 20 % by spend over a year: the high-value cross-sell's and the store reminder's
`rfm_top20`.
"""

from collections.abc import Sequence
from statistics import quantiles

from pydantic import BaseModel

from models.profiles import RfmCell
from profiles.features import Features


class RfmEdges(BaseModel):
    """Four ascending cut points (20th to 80th percentile) per figure."""

    recency_days: list[float]
    frequency: list[float]
    monetary: list[float]
    buyers: int


def rfm_edges(
    recency_days: Sequence[float], frequency: Sequence[float], monetary: Sequence[float]
) -> RfmEdges | None:
    """None with fewer than two buyers: no ranking to make."""
    if len(monetary) < 2:
        return None
    return RfmEdges(
        recency_days=_cuts(recency_days),
        frequency=_cuts(frequency),
        monetary=_cuts(monetary),
        buyers=len(monetary),
    )


def _cuts(values: Sequence[float]) -> list[float]:
    return [float(cut) for cut in quantiles(values, n=5, method="inclusive")]


def rfm_cell(figures: Features, edges: RfmEdges | None) -> RfmCell | None:
    """None for a customer with no order in the last year, or before any batch ran."""
    if edges is None or not figures.orders_12m or figures.days_since_last_order is None:
        return None
    # Fewer days since the last order is better: count the cut points it is within.
    recency = 1 + sum(figures.days_since_last_order <= cut for cut in edges.recency_days)
    frequency = 1 + sum(figures.orders_12m >= cut for cut in edges.frequency)
    monetary = 1 + sum(figures.spend_12m >= cut for cut in edges.monetary)
    recency, frequency, monetary = (min(5, score) for score in (recency, frequency, monetary))
    return RfmCell(
        recency=recency,
        frequency=frequency,
        monetary=monetary,
        cell=f"R{recency}F{frequency}M{monetary}",
        top20=monetary == 5,
    )
