"""the provider that carried (or refused) each delivery attempt, for the delivery-failure rate
per provider

Revision ID: 0018_message_provider
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_message_provider"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: the attempts made before it, and those that never reached a provider.
    op.add_column("delivery_attempts", sa.Column("provider", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("delivery_attempts") as batch:
        batch.drop_column("provider")
