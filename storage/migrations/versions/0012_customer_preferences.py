"""the customer's own contact preferences; the ledger's rule source and blocking rule

Revision ID: 0012
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_preferences",
        sa.Column("customer_id", sa.String(128), primary_key=True),
        sa.Column("preferences", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("rule_source", sa.String(16), nullable=True))
        batch.add_column(sa.Column("blocked_by", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("blocked_by")
        batch.drop_column("rule_source")
    op.drop_table("customer_preferences")
