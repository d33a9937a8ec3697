"""The dev stack's picks: the shipped model served from the database and the demo catalogue
(`journeyctl up` starts both) give a message real products of the Complete Journey baskets, by
the catalogue's names and unit prices, none out of stock, each with its reason in words."""

from datetime import UTC, datetime
from pathlib import Path

import httpx

from catalog import CatalogClient, CatalogSettings
from catalog.demo import demo_catalog_app, load_demo_catalogue
from catalog.models import Availability
from content import ContentRequest, ContentSettings, check_copy, render_fallback
from content.slots import format_money
from journeys.cross_sell import CROSS_SELL
from journeys.runs import PrepareMessage
from journeys.spec import Send
from models.channels import Channel
from models.events import Event, EventType
from models.messages import MessageDecision, MessageStatus
from offers.catalogue import load_catalogue
from offers.settings import OfferSettings
from recommendations.model import load_model
from recommendations.tables import load_model_tables
from sending.picks import PickStep
from storage.database import create_engine, migrate, session_factory
from storage.events import store_event
from tests.conftest import unique

BUNDLES = next(s for s in CROSS_SELL.steps if isinstance(s, Send) and s.id == "bundles")


async def test_picks_name_real_products_of_the_demo_catalogue(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    await migrate(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    model = load_model()
    now = datetime.now(UTC)
    await load_model_tables(sessions, model, now)
    catalogue = load_demo_catalogue()
    # A customer who bought the most linked product of the baskets.
    bought = max(
        (pid for pid in model.links if not pid.startswith("*")),
        key=lambda pid: (len(model.links[pid]), pid),
    )
    customer_id = unique("c")
    order = Event(
        event_id=unique("e"),
        customer_id=customer_id,
        type=EventType.ORDER_PAID,
        occurred_at=now,
        properties={"order_id": "o-1", "total": 5.0, "items": [{"sku": bought}]},
    )
    await store_event(sessions, order, now)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=demo_catalog_app(catalogue)))
    live = CatalogClient(CatalogSettings(base_url="http://catalog"), http=http)
    step = PickStep(sessions, live, load_catalogue(OfferSettings().catalogue_path))
    session_end = order.model_copy(
        update={"event_id": unique("e"), "type": EventType.SESSION_ENDED, "properties": {}}
    )
    request = PrepareMessage(
        idempotency_key=unique("k"),
        customer_id=customer_id,
        journey="cross_sell",
        workflow_id=f"cross_sell:{customer_id}",
        step=BUNDLES,
        trigger_event=session_end,
        decided_at=now,
    )
    decision = MessageDecision(
        message_id=unique("m"),
        idempotency_key=request.idempotency_key,
        customer_id=customer_id,
        journey="cross_sell",
        workflow_id=request.workflow_id,
        step=BUNDLES.id,
        trigger_event_id=session_end.event_id,
        channel="email",
        status=MessageStatus.PENDING,
        reason="allowed",
        rule="passed",
        created_at=now,
    )
    try:
        picks = await step.choose(request, decision)
        shown, personalised = await step.for_copy(picks)
    finally:
        await http.aclose()
        await engine.dispose()

    assert picks is not None and 2 <= len(shown) <= 4 and personalised
    assert all(s.availability is not Availability.OUT_OF_STOCK for s in picks.picks)
    for pick in shown:
        product = catalogue[pick.product_id]
        assert (pick.name, pick.price, pick.currency) == (product.name, product.price, "USD")
    ask = ContentRequest(
        journey="cross_sell",
        stage="1",
        channel=Channel.EMAIL,
        template_id="cross_sell",
        locale="en-US",
        picks=shown,
    )
    settings = ContentSettings()
    copy, checks = check_copy(render_fallback(ask, settings), ask, settings)
    assert checks.ok, checks.failures
    for pick in shown:
        assert pick.price is not None
        assert f"{pick.name}: {format_money(pick.price, 'USD')}" in copy.body
