"""`journeyctl reports picks`: the picks' click-through and order rate per kind and explored or
not, with the orders of the period attributed to their picks first."""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from models.events import Event, EventType
from storage import recommendations as store
from storage.database import create_engine, migrate, session_factory
from storage.events import store_event

NOW = datetime.now(UTC).replace(microsecond=0)


def pick(message: str, product: str, kind: str, explored: bool, clicked: bool) -> dict:
    at = NOW - timedelta(days=3)
    return {
        "message_id": message,
        "product_id": product,
        "customer_id": "c-1",
        "rank": 1,
        "kind": kind,
        "reason_code": "bought_with" if kind == "complement" else "popular",
        "explored": explored,
        "model_version": "v",
        "recommended_at": at,
        "clicked_at": at + timedelta(minutes=1) if clicked else None,
    }


async def seed(url: str) -> None:
    await migrate(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with sessions.begin() as session:
        await store.record_recommended(
            session,
            [
                pick("m-1", "milk", "complement", False, True),
                pick("m-1", "bananas", "complement", False, False),
                pick("m-1", "chips", "complement", True, False),
                pick("m-2", "candles", "popular", False, False),
            ],
        )
    order = Event(
        event_id="e-1",
        customer_id="c-1",
        type=EventType.ORDER_PAID,
        occurred_at=NOW - timedelta(days=2),
        properties={"order_id": "o-1", "total": 3.0, "items": [{"sku": "chips"}]},
    )
    await store_event(sessions, order, NOW)
    await engine.dispose()


def test_the_report_counts_clicks_and_orders_per_kind_and_slot(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'picks.db'}"
    asyncio.run(seed(url))

    result = CliRunner().invoke(
        app, ["reports", "picks", "--since", "7d"], env={"DATABASE_URL": url}
    )

    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines()[2:]]
    assert rows == [
        ["complement", "exploited", "2", "1", "0", "50.0%", "0.0%"],
        ["complement", "explored", "1", "0", "1", "0.0%", "100.0%"],
        ["popular", "exploited", "1", "0", "0", "0.0%", "0.0%"],
        ["all", "-", "4", "1", "1", "25.0%", "25.0%"],
    ]
