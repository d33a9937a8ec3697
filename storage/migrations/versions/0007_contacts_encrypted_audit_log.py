"""contact details encrypted at rest, keyed hashes to find them, the audit log

Revision ID: 0007
Revises: 0006

Existing contact details are encrypted here, under the keyring `journeyctl migrate` was given
(storage.database.migrate: the configured ENCRYPTION__KEYS, or the development keys), and their
lookup hashes computed. Downgrading decrypts them again with the same keyring.
"""

from collections.abc import Callable

import sqlalchemy as sa
from alembic import context, op

from encryption.keyring import Keyring, normalise_email, normalise_phone

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

CONTACTS = ("email", "phone", "push_token", "wechat_openid")
WIDTHS = {"email": 320, "phone": 32, "push_token": 512, "wechat_openid": 128}
customers = sa.table(
    "customers",
    sa.column("customer_id", sa.String),
    *(sa.column(name, sa.Text) for name in CONTACTS),
    sa.column("email_hash", sa.String),
    sa.column("phone_hash", sa.String),
    sa.column("wechat_openid_hash", sa.String),
)


def _keyring() -> Keyring:
    return context.config.attributes.get("keyring") or Keyring.development()


def _rewrite_contacts(new_values: Callable[[sa.Row], dict[str, str]]) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(customers.c.customer_id, *(customers.c[n] for n in CONTACTS)))
    for row in rows.all():
        if values := new_values(row):
            bind.execute(
                customers.update()
                .where(customers.c.customer_id == row.customer_id)
                .values(**values)
            )


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        for name in CONTACTS:
            batch.alter_column(name, type_=sa.Text(), existing_type=sa.String(WIDTHS[name]))
        batch.add_column(sa.Column("email_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("phone_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("wechat_openid_hash", sa.String(64), nullable=True))
        batch.create_index("ix_customers_email_hash", ["email_hash"])
        batch.create_index("ix_customers_phone_hash", ["phone_hash"])
        batch.create_index("ix_customers_wechat_openid_hash", ["wechat_openid_hash"])
    keyring = _keyring()

    def sealed(row: sa.Row) -> dict[str, str]:
        values = {
            name: keyring.seal_text(row._mapping[name], f"customers.{name}")
            for name in CONTACTS
            if row._mapping[name] is not None
        }
        if row.email is not None:
            values["email_hash"] = keyring.lookup_hash(normalise_email(row.email))
        if row.phone is not None:
            values["phone_hash"] = keyring.lookup_hash(normalise_phone(row.phone))
        if row.wechat_openid is not None:
            values["wechat_openid_hash"] = keyring.lookup_hash(row.wechat_openid)
        return values

    _rewrite_contacts(sealed)
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(256), nullable=True),
        sa.Column("outcome", sa.String(256), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    keyring = _keyring()
    _rewrite_contacts(
        lambda row: {
            name: keyring.open_text(row._mapping[name], f"customers.{name}")
            for name in CONTACTS
            if row._mapping[name] is not None
        }
    )
    with op.batch_alter_table("customers") as batch:
        batch.drop_index("ix_customers_wechat_openid_hash")
        batch.drop_index("ix_customers_phone_hash")
        batch.drop_index("ix_customers_email_hash")
        batch.drop_column("wechat_openid_hash")
        batch.drop_column("phone_hash")
        batch.drop_column("email_hash")
        for name in CONTACTS:
            batch.alter_column(name, type_=sa.String(WIDTHS[name]), existing_type=sa.Text())
