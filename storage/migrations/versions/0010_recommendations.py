"""recommendation tables: model versions, neighbour lists, recommended items, the opt-out

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recommendation_models",
        sa.Column("version", sa.String(64), primary_key=True),
        sa.Column("sources", sa.Integer, nullable=False),
        sa.Column("neighbour_weight", sa.Float, nullable=False),
        sa.Column("category_weight", sa.Float, nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_table(
        "recommendation_neighbours",
        sa.Column(
            "version",
            sa.String(64),
            sa.ForeignKey("recommendation_models.version", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("source", sa.String(160), primary_key=True),
        sa.Column("category", sa.String(128), nullable=True),
        sa.Column("neighbours", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_recommendation_neighbours_source", "recommendation_neighbours", ["source", "version"]
    )
    op.create_table(
        "recommended_items",
        sa.Column("message_id", sa.String(128), primary_key=True),
        sa.Column("product_id", sa.String(128), primary_key=True),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("reason_code", sa.String(32), nullable=False),
        sa.Column("explored", sa.Boolean, nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("recommended_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_recommended_items_customer", "recommended_items", ["customer_id", "recommended_at"]
    )
    op.create_table(
        "recommendation_preferences",
        sa.Column("customer_id", sa.String(128), primary_key=True),
        sa.Column("personalised", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("recommendation_preferences")
    op.drop_index("ix_recommended_items_customer", "recommended_items")
    op.drop_table("recommended_items")
    op.drop_index("ix_recommendation_neighbours_source", "recommendation_neighbours")
    op.drop_table("recommendation_neighbours")
    op.drop_table("recommendation_models")
