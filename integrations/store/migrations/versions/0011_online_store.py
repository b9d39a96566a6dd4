"""online store: an order's address, form price, cash on delivery, shipments and returns; stock
levels and each order's reservation.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from integrations.store.tables import UtcDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("address", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("unit_price", sa.Integer))
        batch.add_column(sa.Column("cod", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("shipments", sa.JSON, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("returns", sa.JSON, nullable=False, server_default="[]"))
    op.create_table(
        "stock_levels",
        sa.Column("service_code", sa.String(64), primary_key=True),
        sa.Column("available", sa.Integer, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "stock_reservations",
        sa.Column("order_id", sa.String(64), primary_key=True),
        sa.Column("service_code", sa.String(64), nullable=False, index=True),
        sa.Column("units", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("crossed_low", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("stock_reservations")
    op.drop_table("stock_levels")
    with op.batch_alter_table("orders") as batch:
        for name in ("returns", "shipments", "cod", "unit_price", "address"):
            batch.drop_column(name)
