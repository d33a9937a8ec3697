"""the customer profile: identities and merges, tags and their changes, scores, the update
queue (filled by a trigger on events), segment members and entries, the profile
configuration's versions

Revision ID: 0009
Revises: 0008

The trigger puts every stored event's customer into `profile_queue`, in the event's own
statement: the core tags' update can then not be lost between the API and the worker. Measured
A/B on SQLite (whose engine runs in the API's process), the event's transaction cost 0.2 ms more
CPU with the trigger, and 0.55 ms more with the same upsert as a statement of its own (~2.3 ms
without either); on PostgreSQL the trigger runs in the database server.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)

SQLITE_TRIGGER = """
CREATE TRIGGER events_queue_profile AFTER INSERT ON events
BEGIN
    INSERT INTO profile_queue (customer_id, cause, queued_at, due_at, attempts)
    VALUES (NEW.customer_id, NEW.event_id, NEW.received_at, NEW.received_at, 0)
    ON CONFLICT (customer_id) DO UPDATE
    SET cause = excluded.cause, queued_at = excluded.queued_at;
END
"""
POSTGRES_FUNCTION = """
CREATE FUNCTION queue_profile() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO profile_queue (customer_id, cause, queued_at, due_at, attempts)
    VALUES (NEW.customer_id, NEW.event_id, NEW.received_at, NEW.received_at, 0)
    ON CONFLICT (customer_id) DO UPDATE
    SET cause = excluded.cause, queued_at = excluded.queued_at;
    RETURN NULL;
END
$$
"""
POSTGRES_TRIGGER = """
CREATE TRIGGER events_queue_profile AFTER INSERT ON events
FOR EACH ROW EXECUTE FUNCTION queue_profile()
"""


def upgrade() -> None:
    op.create_table(
        "customer_identities",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("linked_at", TIME, nullable=False),
        sa.Column("source", sa.String(128), nullable=False),
    )
    op.create_index("ix_customer_identities_customer", "customer_identities", ["customer_id"])
    op.create_table(
        "identity_merges",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("merged_id", sa.String(128), nullable=False),
        sa.Column("into_id", sa.String(128), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(80), nullable=False),
        sa.Column("source", sa.String(128), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("journeys_moved_at", TIME, nullable=True),
    )
    op.create_index("ix_identity_merges_into", "identity_merges", ["into_id"])
    op.create_index("ix_identity_merges_merged", "identity_merges", ["merged_id"])
    op.create_table(
        "customer_tags",
        sa.Column("customer_id", sa.String(128), primary_key=True),
        sa.Column("tag", sa.String(64), primary_key=True),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("cause", sa.String(160), nullable=False),
        sa.Column("changed_at", TIME, nullable=False),
    )
    op.create_index("ix_customer_tags_tag", "customer_tags", ["tag"])
    op.create_table(
        "tag_changes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("tag", sa.String(64), nullable=False),
        sa.Column("old", sa.JSON(), nullable=True),
        sa.Column("new", sa.JSON(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("cause", sa.String(160), nullable=False),
        sa.Column("at", TIME, nullable=False),
    )
    op.create_index("ix_tag_changes_customer", "tag_changes", ["customer_id", "at"])
    op.create_table(
        "customer_scores",
        sa.Column("customer_id", sa.String(128), primary_key=True),
        sa.Column("health_score", sa.Float(), nullable=False),
        sa.Column("health_parts", sa.JSON(), nullable=False),
        sa.Column("stage", sa.String(24), nullable=False),
        sa.Column("rfm", sa.JSON(), nullable=True),
        sa.Column("clv", sa.JSON(), nullable=True),
        sa.Column("config_version", sa.Integer(), nullable=False),
        sa.Column("cause", sa.String(160), nullable=False),
        sa.Column("computed_at", TIME, nullable=False),
    )
    op.create_table(
        "profile_queue",
        sa.Column("customer_id", sa.String(128), primary_key=True),
        sa.Column("cause", sa.String(128), nullable=False),
        sa.Column("queued_at", TIME, nullable=False),
        sa.Column("due_at", TIME, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
    )
    op.create_index("ix_profile_queue_due", "profile_queue", ["due_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)
    op.create_table(
        "segment_members",
        sa.Column("customer_id", sa.String(128), primary_key=True),
        sa.Column("segment", sa.String(64), primary_key=True),
        sa.Column("since", TIME, nullable=False),
    )
    op.create_table(
        "segment_entries",
        sa.Column("entry_id", sa.String(200), primary_key=True),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("segment", sa.String(64), nullable=False),
        sa.Column("entered_at", TIME, nullable=False),
        sa.Column("cause", sa.String(160), nullable=False),
        sa.Column("started_at", TIME, nullable=True),
    )
    op.create_index("ix_segment_entries_pending", "segment_entries", ["started_at", "entry_id"])
    op.create_index("ix_segment_entries_customer", "segment_entries", ["customer_id"])
    op.create_table(
        "profile_config",
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("changed_at", TIME, nullable=False),
        sa.Column("changed_by", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
    )
    op.create_table(
        "profile_stats",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("computed_at", TIME, nullable=False),
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER events_queue_profile" + (
        " ON events" if op.get_bind().dialect.name == "postgresql" else ""
    ))  # fmt: skip
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION queue_profile()")
    for table in (
        "profile_stats",
        "profile_config",
        "segment_entries",
        "segment_members",
        "profile_queue",
        "customer_scores",
        "tag_changes",
        "customer_tags",
        "identity_merges",
        "customer_identities",
    ):
        op.drop_table(table)
