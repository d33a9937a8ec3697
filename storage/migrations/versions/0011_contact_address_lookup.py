"""customers found by phone and WeChat openid (provider callbacks: STOP replies, unfollows)

Revision ID: 0011
Revises: 0006
"""

from alembic import op

revision = "0011"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_customers_phone", "customers", ["phone"])
    op.create_index("ix_customers_wechat_openid", "customers", ["wechat_openid"])


def downgrade() -> None:
    op.drop_index("ix_customers_wechat_openid", table_name="customers")
    op.drop_index("ix_customers_phone", table_name="customers")
