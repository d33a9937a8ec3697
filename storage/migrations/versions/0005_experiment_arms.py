"""experiment arms' posteriors and promoted winners

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "experiment_arms",
        sa.Column("experiment_id", sa.String(64), primary_key=True),
        sa.Column("arm_id", sa.String(64), primary_key=True),
        sa.Column("successes", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.Column("prior_alpha", sa.Float(), nullable=False),
        sa.Column("prior_beta", sa.Float(), nullable=False),
        sa.Column("probability_best", sa.Float(), nullable=True),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "experiment_winners",
        sa.Column("experiment_id", sa.String(64), primary_key=True),
        sa.Column("arm_id", sa.String(64), nullable=False),
        sa.Column("probability_best", sa.Float(), nullable=False),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("experiment_winners")
    op.drop_table("experiment_arms")
