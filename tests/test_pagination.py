"""List routes answer a bounded page and a cursor to the next: every row exactly once, in order,
however many there are, and rows written meanwhile do not shift the pages still to come."""

from datetime import UTC, datetime, timedelta

from models.tables import OutboxRow
from tests.conftest import Stack, unique
from tests.reports.seed import message


async def all_pages(stack: Stack, url: str, limit: int) -> tuple[list[dict], int]:
    items, pages, cursor = [], 0, None
    while True:
        params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        answer = await stack.http.get(url, params=params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert len(body["items"]) <= limit
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages


async def test_messages_and_outbox_come_a_page_at_a_time(api: Stack) -> None:
    customer_id = unique("c")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    # Two share a timestamp: the message id breaks the tie, so neither is lost between pages.
    rows = [message(customer_id, start + timedelta(minutes=min(n, 3))) for n in range(5)]
    async with api.sessions.begin() as session:
        session.add_all(rows)
        await session.flush()
        session.add_all(
            OutboxRow(
                message_id=row.message_id,
                channel="inapp",
                customer_id=customer_id,
                title=f"t{n}",
                body="b",
                created_at=row.created_at,
            )
            for n, row in enumerate(rows)
        )

    url = f"/v1/customers/{customer_id}/messages"
    items, pages = await all_pages(api, url, limit=2)
    assert pages == 3
    expected = sorted(rows, key=lambda r: (-r.created_at.timestamp(), r.message_id))
    assert [m["message_id"] for m in items] == [r.message_id for r in expected]

    outbox, pages = await all_pages(api, f"/v1/customers/{customer_id}/outbox", limit=4)
    assert pages == 2 and [o["title"] for o in outbox] == [f"t{n}" for n in range(5)]

    first = (await api.http.get(url, params={"limit": 2})).json()
    async with api.sessions.begin() as session:  # a newer message arrives between two pages
        session.add(message(customer_id, start + timedelta(days=1)))
    second = (await api.http.get(url, params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert [m["message_id"] for m in first["items"] + second["items"]] == [
        r.message_id for r in expected[:4]
    ]

    for bad in ({"limit": 0}, {"limit": 201}, {"cursor": "not-a-cursor"}, {"cursor": "e30"}):
        refused = await api.http.get(url, params=bad)
        assert refused.status_code == 422, bad
        assert refused.json()["detail"][0]["field"] in ("limit", "cursor")
