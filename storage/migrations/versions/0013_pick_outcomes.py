"""pick outcomes: clicks and orders per recommended item, and the recommendation alerts

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recommended_items") as batch:
        batch.add_column(sa.Column("clicked_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("order_id", sa.String(128), nullable=True))
    op.create_index("ix_recommended_items_recommended_at", "recommended_items", ["recommended_at"])
    op.create_table(
        "recommendation_alerts",
        sa.Column("alert_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("recommendation_alerts")
    op.drop_index("ix_recommended_items_recommended_at", table_name="recommended_items")
    with op.batch_alter_table("recommended_items") as batch:
        batch.drop_column("order_id")
        batch.drop_column("ordered_at")
        batch.drop_column("clicked_at")
