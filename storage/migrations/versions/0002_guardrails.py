"""guardrail state on customers, decision audit and engagement on the ledger, copy cache

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(
            sa.Column("unsubscribed_channels", sa.JSON(), nullable=False, server_default="[]")
        )
        batch.add_column(sa.Column("silence_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("blacklisted", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("decision_seq", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("rule", sa.String(32), nullable=True))
        batch.add_column(sa.Column("deferred_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("importance", sa.String(16), nullable=False, server_default="normal")
        )
        batch.add_column(sa.Column("benefit_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("segment", sa.String(8), nullable=True))
        batch.add_column(sa.Column("experiment_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("arm_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("fallback_channels", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("content_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("disclaimers", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("content_path", sa.String(16), nullable=True))
        batch.add_column(sa.Column("content_notes", sa.String(400), nullable=True))
        batch.add_column(sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("clicked_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("complained_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_messages_trigger", ["customer_id", "trigger_event_id"])
    op.create_table(
        "copy_cache",
        sa.Column("version", sa.String(32), primary_key=True),
        sa.Column("context_hash", sa.String(64), primary_key=True),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("copy_cache")
    with op.batch_alter_table("messages") as batch:
        batch.drop_index("ix_messages_trigger")
        for column in (
            "complained_at", "clicked_at", "opened_at", "content_notes", "content_path",
            "disclaimers", "content_hash", "fallback_channels", "arm_id", "experiment_id",
            "segment", "benefit_id", "importance", "deferred_until", "rule",
        ):  # fmt: skip
            batch.drop_column(column)
    with op.batch_alter_table("customers") as batch:
        for column in ("decision_seq", "blacklisted", "silence_until", "unsubscribed_channels"):
            batch.drop_column(column)
