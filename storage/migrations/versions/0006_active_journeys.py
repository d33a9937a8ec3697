"""journeys that may be running, per customer

Revision ID: 0006
Revises: 0005

Backfilled so that runs already in flight keep receiving their exit events: every journey a
customer has entered (journey_entries) and, for runs older than the entry check, every journey a
trigger event of the last 400 days may have started. Too many rows only cost one signal each.
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The triggers as they were when this revision was written (journeys/registry.py then).
TRIGGERS = {
    "signup": "welcome",
    "product_viewed": "browse_abandonment",
    "cart_updated": "cart_abandonment",
    "price_changed": "price_drop",
    "stock_changed": "low_stock",
    "support_ticket_closed": "post_support",
    "coupon_issued": "offer_expiry",
    "customer_dormant": "winback",
    "store_visit": "store_reminder",
    "session_ended": "cross_sell",
}
BACKFILL = "backfill-0006"


def upgrade() -> None:
    table = op.create_table(
        "active_journeys",
        sa.Column("customer_id", sa.String(128), primary_key=True),
        sa.Column("journey", sa.String(64), primary_key=True),
        sa.Column("last_start_event_id", sa.String(128), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    connection = op.get_bind()
    entries = connection.execute(sa.text("SELECT customer_id, journey FROM journey_entries"))
    pairs = {(customer, journey) for customer, journey in entries}
    since = datetime.now(UTC) - timedelta(days=400)
    triggered = connection.execute(
        sa.text("SELECT DISTINCT customer_id, type FROM events WHERE received_at >= :since"),
        {"since": since},
    )
    pairs |= {(customer, TRIGGERS[kind]) for customer, kind in triggered if kind in TRIGGERS}
    now = datetime.now(UTC)
    rows = [
        {"customer_id": c, "journey": j, "last_start_event_id": BACKFILL, "updated_at": now}
        for c, j in sorted(pairs)
    ]
    for first in range(0, len(rows), 1000):
        op.bulk_insert(table, rows[first : first + 1000])


def downgrade() -> None:
    op.drop_table("active_journeys")
