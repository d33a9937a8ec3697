"""journey entries, for each journey's re-entry rule

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journey_entries",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("journey", sa.String(64), nullable=False),
        sa.Column("workflow_id", sa.String(256), nullable=False),
        sa.Column("trigger_event_id", sa.String(128), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_journey_entries_customer", "journey_entries", ["customer_id", "journey", "entered_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_journey_entries_customer", table_name="journey_entries")
    op.drop_table("journey_entries")
