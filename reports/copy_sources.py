"""Who wrote the copy of the messages decided in a period: the LLM (first try, or after one
failed check) or the template, and why it fell back (the ledger's content_path and
content_notes, which the writer fills for every message it wrote copy for).

The fallback rate is template copy / copy written. A deployment without an LLM has a rate of
100 % with the reason `llm_not_configured`: the reasons say which case it is.
"""

from collections import Counter

from pydantic import BaseModel, computed_field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.tables import MessageRow
from reports.period import Period


class CopyCounts(BaseModel):
    written: int = 0
    llm: int = 0
    llm_retry: int = 0
    template: int = 0

    @computed_field  # type: ignore[prop-decorator]  # pydantic's documented form for a computed property
    @property
    def fallback_rate(self) -> float | None:
        return self.template / self.written if self.written else None

    def add(self, path: str) -> None:
        self.written += 1
        if path in ("llm", "llm_retry", "template"):
            setattr(self, path, getattr(self, path) + 1)


class CopySourceRow(CopyCounts):
    journey: str
    channel: str | None


class CopySources(BaseModel):
    rows: list[CopySourceRow]
    total: CopyCounts
    fallback_reasons: dict[str, int]  # template copy by each reason it records, most first


async def copy_sources(
    session: AsyncSession, period: Period, journey: str | None = None
) -> CopySources:
    query = select(
        MessageRow.journey, MessageRow.channel, MessageRow.content_path, MessageRow.content_notes
    ).where(
        MessageRow.created_at >= period.since,
        MessageRow.created_at < period.until,
        MessageRow.content_path.is_not(None),
    )
    if journey is not None:
        query = query.where(MessageRow.journey == journey)
    rows: dict[tuple[str, str], CopySourceRow] = {}
    total = CopyCounts()
    reasons: Counter[str] = Counter()
    for journey_name, channel, path, notes in await session.execute(query):
        assert path is not None  # the query's filter; the column itself is nullable
        row = rows.setdefault(
            (journey_name, channel or ""), CopySourceRow(journey=journey_name, channel=channel)
        )
        row.add(path)
        total.add(path)
        if path == "template":
            reasons.update(reason for reason in (notes or "").split(",") if reason)
    return CopySources(
        rows=[rows[key] for key in sorted(rows)],
        total=total,
        fallback_reasons=dict(sorted(reasons.items(), key=lambda item: (-item[1], item[0]))),
    )
