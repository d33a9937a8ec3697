"""How the recommendations did: click-through and order rate of the picks the messages carried,
per kind and explored or not, from `recommended_items` (clicks on each pick's tracked link,
orders attributed by recommendations.outcomes). The alarm on a drop of their click-through is
`alerts.thresholds.recommendation_ctr_drift` (docs/alerts.md).
"""

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from reports.period import Period
from storage import recommendations as store


class PickOutcomes(BaseModel):
    kind: str  # a pick kind, or "all"
    explored: bool | None  # None: explored and exploited together
    shown: int = 0
    clicked: int = 0
    ordered: int = 0

    @property
    def click_through(self) -> float | None:
        return self.clicked / self.shown if self.shown else None

    @property
    def order_rate(self) -> float | None:
        return self.ordered / self.shown if self.shown else None


async def pick_outcomes(session: AsyncSession, period: Period) -> list[PickOutcomes]:
    """The picks recommended in the period, per (kind, explored), then all of them together."""
    rows = await store.pick_outcome_rows(session, period.since, period.until)
    groups: dict[tuple[str, bool | None], PickOutcomes] = {}
    total = PickOutcomes(kind="all", explored=None)
    for row in rows:
        key = (row.kind, bool(row.explored))
        group = groups.setdefault(key, PickOutcomes(kind=row.kind, explored=bool(row.explored)))
        for counted in (group, total):
            counted.shown += 1
            counted.clicked += row.clicked_at is not None
            counted.ordered += row.ordered_at is not None
    return [groups[key] for key in sorted(groups, key=lambda k: (k[0], bool(k[1])))] + [total]
