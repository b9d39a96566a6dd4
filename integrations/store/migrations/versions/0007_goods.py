"""goods: each delivered file (by checksum) and each of its rows (a keyed digest) is held by one
order, so the same goods never go to two orders

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "goods",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.order_id"), nullable=False),
    )
    op.create_index("ix_goods_order_id", "goods", ["order_id"])


def downgrade() -> None:
    op.drop_index("ix_goods_order_id", table_name="goods")
    op.drop_table("goods")
