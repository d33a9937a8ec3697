"""when each row the webhooks' collector reads was written, indexed: the collector reads the
rows written since its last pass, instead of scanning for event times that a late receipt, a
retried activity or a long profile scan leaves older than its window

Safe on a large, live ledger: the columns are added empty (no table rewrite), only the rows
written within the collector's longest look-back (7 days, webhooks/collect.py MAX_LOOKBACK) are
filled in, from their latest time, and on PostgreSQL the indexes are built CONCURRENTLY, so
writers are not held while they build. Older rows stay NULL: no collection reads that far back.

Revision ID: 0019_written_at
Revises: 0018_message_provider
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0019_written_at"
down_revision = "0018_message_provider"
branch_labels = None
depends_on = None

LOOKBACK = timedelta(days=7)
# A ledger row was last written at its latest timestamp.
_MESSAGE_TIMES = (
    "created_at",
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
    since, when = datetime.now(UTC) - LOOKBACK, sa.DateTime(timezone=True)
    for table, column in _COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(column, when, nullable=True))
    messages = sa.table(
        "messages",
        sa.column("changed_at"),
        *(sa.column(c, when) for c in _MESSAGE_TIMES),
    )
    if postgres:  # GREATEST skips NULLs
        latest = f"GREATEST({', '.join(_MESSAGE_TIMES)})"
    else:  # SQLite's many-argument MAX is NULL if any argument is
        latest = f"MAX({', '.join(f'COALESCE({c}, created_at)' for c in _MESSAGE_TIMES)})"
    op.execute(
        messages.update()
        .where(sa.or_(*(messages.c[c] >= since for c in _MESSAGE_TIMES)))
        .values(changed_at=sa.literal_column(latest))
    )
    entries = sa.table("journey_entries", sa.column("recorded_at"), sa.column("entered_at", when))
    op.execute(
        entries.update()
        .where(entries.c.entered_at >= since)
        .values(recorded_at=entries.c.entered_at)
    )
    changes = sa.table("tag_changes", sa.column("recorded_at"), sa.column("at", when))
    op.execute(changes.update().where(changes.c.at >= since).values(recorded_at=changes.c.at))
    if postgres:
        with op.get_context().autocommit_block():
            for name, table, columns in _INDEXES:
                op.create_index(name, table, columns, postgresql_concurrently=True)
    else:
        for name, table, columns in _INDEXES:
            op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in _INDEXES:
        op.drop_index(name, table_name=table)
    for table, column in _COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
