"""Orders per pick: a paid order that contains a recommended product, from the customer the
message went to, within `ATTRIBUTION` after the recommendation, is that pick's order.

Clicks are recorded as they happen (the pick's tracked link, api/routes/tracking.py); orders
are attributed in a batch, before each evaluation report and by the monthly retraining, from
the `order_paid` events the backends send (their `items` carry the SKUs): the event intake stays
as it is, and an order that arrives late still finds its pick.
"""

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from recommendations.signals import skus_in
from storage import recommendations as store
from storage.events import events_for_customer

ATTRIBUTION = timedelta(days=7)


async def attribute_orders(session: AsyncSession, since: datetime, until: datetime) -> int:
    """Record the orders of the picks recommended in [since, until) (orders up to `until`
    plus the window); returns how many picks got an order."""
    waiting = await store.picks_awaiting_order(session, since, until)
    by_customer = defaultdict(list)
    for row in waiting:
        by_customer[row.customer_id].append(row)
    found = 0
    for customer_id, picks in by_customer.items():
        first = min(p.recommended_at for p in picks)
        orders = await events_for_customer(session, customer_id, since=first, types=["order_paid"])
        for event in orders:
            skus = set(skus_in(event.properties or {}))
            for pick in picks:
                if pick.product_id in skus and (
                    pick.recommended_at <= event.occurred_at < pick.recommended_at + ATTRIBUTION
                ):
                    order_id = str((event.properties or {}).get("order_id") or event.event_id)
                    await store.record_pick_order(
                        session, pick.message_id, pick.product_id, order_id, event.occurred_at
                    )
                    found += 1
            picks = [p for p in picks if p.product_id not in skus]
    return found
