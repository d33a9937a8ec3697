"""kill switches, outbound webhooks (endpoints, outbox, dead letters) and alerts

Revision ID: 0016
Revises: 0012
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "switches",
        sa.Column("switch_id", sa.String(80), primary_key=True),
        sa.Column("paused", sa.Boolean, nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("changed_by", sa.String(128), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "webhook_endpoints",
        sa.Column("endpoint_id", sa.String(40), primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("event_types", sa.JSON, nullable=False),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("cursor", sa.Integer, nullable=False),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "webhook_events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(120), nullable=False, unique=True),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )
    locks = op.create_table(
        "webhook_locks",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.bulk_insert(locks, [{"name": "events", "taken_at": datetime(2026, 1, 1, tzinfo=UTC)}])
    op.create_table(
        "webhook_dead_letters",
        sa.Column("endpoint_id", sa.String(40), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("event_id", sa.String(120), nullable=False),
        sa.Column("error", sa.String(200), nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("dead_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "alerts",
        sa.Column("alert_id", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("threshold", sa.String(40), nullable=False),
        sa.Column("scope", sa.JSON, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("limit", sa.Float, nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("action", sa.String(80), nullable=True),
    )
    op.create_index("ix_alerts_key_open", "alerts", ["key", "cleared_at"])


def downgrade() -> None:
    op.drop_index("ix_alerts_key_open", table_name="alerts")
    for table in (
        "alerts",
        "webhook_dead_letters",
        "webhook_locks",
        "webhook_events",
        "webhook_endpoints",
        "switches",
    ):
        op.drop_table(table)
