"""when each row the webhooks' collector reads was written, indexed: the collector reads the
rows written since its last pass, instead of scanning for event times that a late receipt, a
retried activity or a long profile scan leaves older than its window

Revision ID: 0019_written_at
Revises: 0018_message_provider
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_written_at"
down_revision = "0018_message_provider"
branch_labels = None
depends_on = None

# Only rows present at the upgrade ever take it, and the backfill below replaces it at once.
_PLACEHOLDER = "1970-01-01 00:00:00"
# A ledger row was last written at its latest timestamp.
_MESSAGE_TIMES = (
    "updated_at",
    "delivered_at",
    "opened_at",
    "clicked_at",
    "complained_at",
    "bounced_at",
    "unsubscribed_at",
)
_COLUMNS = (
    ("messages", "changed_at"),
    ("journey_entries", "recorded_at"),
    ("tag_changes", "recorded_at"),
)
_INDEXES = (
    ("ix_messages_changed", "messages", ["changed_at"]),
    ("ix_journey_entries_recorded", "journey_entries", ["recorded_at"]),
    ("ix_tag_changes_recorded", "tag_changes", ["recorded_at"]),
    ("ix_message_receipts_received", "message_receipts", ["type", "received_at"]),
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, column in _COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column(
                    column, sa.DateTime(timezone=True), nullable=False, server_default=_PLACEHOLDER
                )
            )
    if postgres:  # GREATEST skips NULLs
        latest = f"GREATEST(created_at, {', '.join(_MESSAGE_TIMES)})"
    else:  # SQLite's many-argument MAX is NULL if any argument is
        latest = (
            f"MAX(created_at, {', '.join(f'COALESCE({c}, created_at)' for c in _MESSAGE_TIMES)})"
        )
    op.execute(f"UPDATE messages SET changed_at = {latest}")
    op.execute("UPDATE journey_entries SET recorded_at = entered_at")
    op.execute("UPDATE tag_changes SET recorded_at = at")
    if postgres:  # the models set it on every write (SQLite cannot drop a default in place)
        for table, column in _COLUMNS:
            op.alter_column(table, column, server_default=None)
    for name, table, columns in _INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in _INDEXES:
        op.drop_index(name, table_name=table)
    for table, column in _COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
