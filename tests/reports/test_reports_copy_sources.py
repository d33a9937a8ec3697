"""Who wrote the copy, and the fallback rate, on a data set worked out by hand."""

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.messages import MessageStatus
from reports.copy_sources import copy_sources
from reports.period import Period
from tests.conftest import unique
from tests.reports.seed import message, period_start, seed


async def test_copy_by_journey_and_channel_with_the_reasons_of_each_fallback(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    t0 = period_start()
    c = unique("copy")

    def written(path: str | None, notes: str = "", **columns: object) -> object:
        return message(c, t0, content_path=path, content_notes=notes, **columns)

    await seed(
        sessions,
        written("llm", channel="push"),
        written("llm_retry", "banned_word", channel="push"),
        written("template", "wrong_language,internal_term", channel="push"),
        written("template", "llm_timeout", channel="push"),
        written("template", "wrong_language", channel="email"),
        written("llm", journey="winback", step="price_message", channel="wechat"),
        # Not counted: no copy written (suppressed), and a decision after the period.
        written(None, channel="sms", status=MessageStatus.SUPPRESSED, reason="daily_cap"),
        message(c, t0 + timedelta(days=91), content_path="template", content_notes="llm_timeout"),
    )
    period = Period(since=t0, until=t0 + timedelta(days=90))
    async with sessions() as session:
        report = await copy_sources(session, period)
        cart_only = await copy_sources(session, period, journey="cart_abandonment")

    by_row = {(r.journey, r.channel): (r.llm, r.llm_retry, r.template) for r in report.rows}
    assert by_row == {
        ("cart_abandonment", "email"): (0, 0, 1),
        ("cart_abandonment", "push"): (1, 1, 2),
        ("winback", "wechat"): (1, 0, 0),
    }
    assert (report.total.written, report.total.template) == (6, 3)
    assert report.total.fallback_rate == 0.5
    # A retry that then passed is no fallback; reasons count the template's copies.
    assert report.fallback_reasons == {"wrong_language": 2, "internal_term": 1, "llm_timeout": 1}
    assert cart_only.total.fallback_rate == 3 / 5
